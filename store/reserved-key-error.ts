// The store's last line of defence: a cached value is never written under the reserved prefix,
// whatever the caller was given (activities turn this into a non-retryable failure).
import { reservedKeyMessage } from '../core/cache-key';

/** Thrown when a value write names a key under the deployment's prefix; nothing of the call was written. */
export class ReservedKeyError extends Error {
  override readonly name = 'ReservedKeyError';
  constructor(
    readonly key: string,
    readonly prefix: string,
  ) {
    super(reservedKeyMessage(key, prefix));
  }
}

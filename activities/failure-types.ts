// The failure types loads end with: what retry policies, tests and operators match on.
import { ApplicationFailure } from '@temporalio/common';

/** Failure types the retry policies name. */
export const FailureTypes = {
  originRejected: 'OriginRejected',
  originUnavailable: 'OriginUnavailable',
  valueTooLarge: 'ValueTooLarge',
  badLoaderResult: 'BadLoaderResult',
  unknownLoader: 'UnknownLoader',
  badInput: 'BadInput',
  /** The loader security policy refused a host, an address or a redirect (docs/security.md); never retried. */
  loaderRefused: 'LoaderRefused',
  /** A header's `{ "env": NAME }` names a variable the worker does not have; never retried. */
  missingEnvironment: 'MissingEnvironment',
  /** A latency-bound load (a user preload's) still waiting for its origin at its deadline: dropped, never retried. */
  loadShed: 'LoadShed',
} as const;

/** A value over the size limit: permanent, the origin would send the same again. */
export function valueTooLarge(what: string, size: number, max: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${what} returned ${size} bytes, over the ${max}-byte limit`,
    FailureTypes.valueTooLarge,
  );
}

// The payloads that may carry a `reason` (`forceWarm`, `warmNow`, `remove`), parsed once and never
// throwing: what a task workflow's handlers accept, and the one-line problem they drop it for.
import { MAX_REASON_LENGTH, type ForceWarm } from './definitions';

const BATCH_ID = /^[A-Za-z0-9:_.-]{1,64}$/;

/**
 * A `forceWarm` / `warmNow` payload parsed once: absent or an object with an optional `reason` (at
 * most 500 characters) and `batch` (a fleet operation's id, ignored when malformed). Never throws.
 */
export function parseForceWarm(
  payload: unknown,
): { force: ForceWarm; problem?: undefined } | { force?: undefined; problem: string } {
  const problem = reasonPayloadProblem(payload);
  if (problem !== undefined) return { problem };
  const { reason, batch } = (payload ?? {}) as { reason?: string; batch?: unknown };
  // A malformed batch id is left out, not the warm: the warm was asked for either way.
  return {
    force: {
      ...(reason ? { reason } : {}),
      ...(typeof batch === 'string' && BATCH_ID.test(batch) ? { batch } : {}),
    },
  };
}

/**
 * Why a payload that may carry a `reason` (`forceWarm`, `warmNow`, `remove`) is malformed: it must
 * be absent, or an object whose `reason`, if any, is a string of at most MAX_REASON_LENGTH.
 */
export function reasonPayloadProblem(payload: unknown): string | undefined {
  if (payload === undefined || payload === null) return undefined;
  if (typeof payload !== 'object' || Array.isArray(payload))
    return 'payload must be an object like { "reason": "..." }';
  const reason = (payload as { reason?: unknown }).reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) {
    return `reason must be a string of at most ${MAX_REASON_LENGTH} characters`;
  }
  return undefined;
}

// A login shard's users: what the shard knows of each (UserEntry), and the compact tuple each is
// carried across continue-as-new as (CARRIED_FLAGS, toTuple, fromTuple), read back only when valid.
import { userIdProblem } from '../core/user-login';
import type { CarriedUserTuple } from './carried-types';
import type { PreloadSummary, UserPreloadOutcome } from './user-definitions';

/** Logins of one user waiting to be served: merged, so a burst becomes one preload. */
export interface PendingLogins {
  force: boolean;
  preloadForms: boolean;
}

/** What a shard carries across continue-as-new for one user: enough to skip and to serve. */
export interface CarriedUser {
  /** When the user's last preload in which every source succeeded finished. */
  lastCompleteAtMs: number | null;
  /** Whether that preload loaded forms (a later login wanting forms is not skipped otherwise). */
  includedForms: boolean;
  lastLoginAtMs: number;
  pending: PendingLogins | null;
}

/** Bits of a carried user's flags. */
export const CARRIED_FLAGS = { includedForms: 1, pending: 2, pendingForce: 4, pendingForms: 8 } as const;

/** The user's view of a shard: its carried part plus what this run saw. */
export interface UserEntry extends CarriedUser {
  logins: number;
  preloads: number;
  failedPreloads: number;
  skipped: number;
  coalesced: number;
  serving: PendingLogins | null;
  lastResult: PreloadSummary | null;
  lastError: string | null;
  /** Serves of this user finished in this run (skips too): what a `waitForUserPreload` waits on. */
  finished: number;
  lastOutcome: UserPreloadOutcome;
  lastWorkflowId?: string;
}

/** Whether a carried entry is a user this code can serve (anything else is left out). */
export function isCarriedUser(tuple: unknown): tuple is CarriedUserTuple {
  if (!Array.isArray(tuple) || tuple.length !== 4) return false;
  const [userId, lastCompleteAtMs, lastLoginAtMs, flags] = tuple as unknown[];
  return (
    userIdProblem(userId) === undefined &&
    (lastCompleteAtMs === null || Number.isFinite(lastCompleteAtMs)) &&
    Number.isFinite(lastLoginAtMs) &&
    Number.isInteger(flags)
  );
}

export function toTuple(userId: string, user: CarriedUser): CarriedUserTuple {
  const { pending } = user;
  const flags =
    (user.includedForms ? CARRIED_FLAGS.includedForms : 0) |
    (pending ? CARRIED_FLAGS.pending : 0) |
    (pending?.force ? CARRIED_FLAGS.pendingForce : 0) |
    (pending?.preloadForms ? CARRIED_FLAGS.pendingForms : 0);
  return [userId, user.lastCompleteAtMs, user.lastLoginAtMs, flags];
}

export function fromTuple([, lastCompleteAtMs, lastLoginAtMs, flags]: CarriedUserTuple): CarriedUser {
  return {
    lastCompleteAtMs,
    lastLoginAtMs,
    includedForms: (flags & CARRIED_FLAGS.includedForms) !== 0,
    pending:
      (flags & CARRIED_FLAGS.pending) !== 0
        ? {
            force: (flags & CARRIED_FLAGS.pendingForce) !== 0,
            preloadForms: (flags & CARRIED_FLAGS.pendingForms) !== 0,
          }
        : null,
  };
}

export function newEntry(carried?: CarriedUser): UserEntry {
  return {
    lastCompleteAtMs: carried?.lastCompleteAtMs ?? null,
    includedForms: carried?.includedForms ?? false,
    lastLoginAtMs: carried?.lastLoginAtMs ?? Date.now(),
    pending: carried?.pending ?? null,
    logins: 0,
    preloads: 0,
    failedPreloads: 0,
    skipped: 0,
    coalesced: 0,
    serving: null,
    lastResult: null,
    lastError: null,
    finished: 0,
    lastOutcome: 'unknown',
  };
}

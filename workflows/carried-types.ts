// The state each long-running workflow carries across continue-as-new, one shape per type. Its own
// module, below the workflows and carried-state.ts: each imports these types, none imports back.
import type { LoginWants } from '../core/login-batching';
import type { CycleReport, WarmOutcome, WarmTrigger } from './definitions';
import type { PreloadSummary } from './user-definitions';

/** A task workflow's counters and schedule state. */
export interface CarriedTaskState {
  warmCount: number;
  failureCount: number;
  lastWarmAt: string | null;
  nextWarmAtMs: number;
  intervalMinutes: number;
  paused: boolean;
  lastResult: WarmOutcome | null;
  lastError: string | null;
  since: string;
  generation: number;
  pendingForce: { trigger: WarmTrigger; reason?: string } | null;
}

/** The optimiser's schedule and last cycle. */
export interface OptimizerState {
  paused: boolean;
  cycles: number;
  everyMinutes: number;
  nextCycleAtMs: number | null;
  lastCycle: CycleReport | null;
  since: string;
  generation: number;
}

/** A session's logins waiting to be served: merged, so a burst becomes one preload. */
export type PendingLogins = LoginWants;

/** What both login receivers count, carried across continue-as-new. */
export interface CarriedLoginCounters {
  logins: number;
  preloads: number;
  failedPreloads: number;
  skipped: number;
  coalesced: number;
  rejected: number;
}

/** A user session's counters and dedupe state. */
export interface CarriedUserSessionState extends CarriedLoginCounters {
  lastLoginAtMs: number;
  lastPreloadAt: string | null;
  /** When the last preload in which every source succeeded finished: the skip window's start. */
  lastCompleteAtMs: number | null;
  /** Whether that preload was asked to load forms (a later login that wants forms is not skipped otherwise). */
  lastCompleteIncludedForms: boolean;
  lastResult: PreloadSummary | null;
  lastError: string | null;
  lastRejection: string | null;
  /** From the settings last read: how long to stay open without logins, and the skip window. */
  idleMs: number;
  skipMs: number;
  pending: PendingLogins | null;
  since: string;
  generation: number;
}

/**
 * One carried user, compact so thousands fit one continue-as-new payload (2 MB at most):
 * `[userId, lastCompleteAtMs | null, lastLoginAtMs, flags]`, flags as CARRIED_FLAGS (user-logins.ts).
 */
export type CarriedUserTuple = [string, number | null, number, number];

/** Release 0.2's carried state of a login shard; `version` names its shape for later migrations. */
export interface CarriedUserLoginsState extends CarriedLoginCounters {
  version: 1;
  /** Logins waiting when the shard continued as new whose users did not fit the carried state (from 0.3). */
  droppedLogins?: number;
  /** Preloads with a load shed at the deadline (from 0.4). */
  shed?: number;
  lastRejection: string | null;
  /** The skip window last known (from `preloadSettings` or a preload's applied settings). */
  skipMs: number;
  /** Users within their skip window or with logins waiting, most recent first. */
  users: CarriedUserTuple[];
  since: string;
  generation: number;
}

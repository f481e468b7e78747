// The user-preload side's signal, query, result types and workflow ids: what the auth service's
// client, warmctl and the two user workflows share. Clients import these through workflows/index.ts.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { boundedId, boundedText, TEMPORAL_LIMITS } from '../core/temporal-limits';
import { userSessionWorkflowId } from '../core/workflow-ids';
import type { PreloadSourceName, PreloadSourceResult } from '../core/preload-results';

export type { PreloadKeyResult, PreloadSourceName, PreloadSourceResult } from '../core/preload-results';

/** `userLoggedIn` payload, as the auth service sends it. */
export interface UserLoggedIn {
  userId: string;
  /** Preload even if the user was preloaded within `skipIfWarmedWithinMinutes`; default false. */
  force?: boolean;
  /** Load the user's recent forms too; default true. */
  preloadForms?: boolean;
}

/** What `preloadUserWorkflow` returns: ids, keys, sizes and timings only. */
export interface PreloadUserResult {
  userId: string;
  /** True when every configured source succeeded. */
  ok: boolean;
  /** The sources that failed, in a stable order. */
  failed: PreloadSourceName[];
  /** Configured sources this preload left out on purpose (`preloadForms: false`). */
  skipped: PreloadSourceName[];
  sources: PreloadSourceResult[];
  /** Keys written by this preload (a key kept because a newer value was stored is not listed). */
  keysWritten: string[];
  force: boolean;
  preloadForms: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Why the preload could not run at all (no or a bad applied config); its sources are then empty. */
  error?: string;
  /** From release 0.2: the applied settings this preload read, which decide when the user is preloaded again. */
  applied?: { skipIfWarmedWithinMinutes: number; idleMinutes: number };
}

/** A preload as the session workflow remembers it. */
export interface PreloadSummary {
  workflowId: string;
  ok: boolean;
  failed: PreloadSourceName[];
  keysWritten: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** What both login receivers remember of a finished preload (its keys counted, not listed). */
export function preloadSummary(workflowId: string, result: PreloadUserResult): PreloadSummary {
  return {
    workflowId,
    ok: result.ok,
    failed: result.failed,
    keysWritten: result.keysWritten.length,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
  };
}

/** The per-user workflow's `status` query answer. */
export interface UserSessionStatus {
  userId: string;
  state: 'idle' | 'preloading';
  /** Well-formed `userLoggedIn` signals received (this run chain). */
  logins: number;
  /** Preloads started. */
  preloads: number;
  /** Preloads in which some source failed, or that could not run at all. */
  failedPreloads: number;
  /** Logins not preloaded because the user was preloaded within the skip window. */
  skipped: number;
  /** Logins served by a preload already running or queued. */
  coalesced: number;
  /** Malformed `userLoggedIn` signals, logged and dropped. */
  rejected: number;
  lastLoginAt: string | null;
  lastPreloadAt: string | null;
  lastResult: PreloadSummary | null;
  lastError: string | null;
  /** Why the last malformed signal was dropped. */
  lastRejection: string | null;
  /** When the workflow completes if no login arrives, ISO-8601. */
  closesAt: string;
  since: string;
  /** How many times the workflow continued as new. */
  generation: number;
}

/** `preloadSettings` payload: the applied settings a login shard needs before its next login. */
export interface PreloadSettings {
  skipIfWarmedWithinMinutes: number;
}

/** A login shard's `status` query answer: its counters over every user it served. */
export interface UserLoginsStatus {
  logins: number;
  preloads: number;
  failedPreloads: number;
  skipped: number;
  coalesced: number;
  /** Malformed `userLoggedIn` signals, logged and dropped. */
  rejected: number;
  /**
   * Waiting logins lost at a continue-as-new because their users did not fit the carried state
   * (a shard of thousands of waiting users with very long ids); each is logged.
   */
  droppedLogins: number;
  lastRejection: string | null;
  /** Users it holds state for (recent logins). */
  users: number;
  /** Preloads running now. */
  serving: number;
  /** Users with logins waiting for a preload. */
  waiting: number;
  /** Preloads in which some load waited for its origin past `shedAfterSeconds` and was shed (a part of failedPreloads). */
  shed: number;
  skipIfWarmedWithinMinutes: number;
  since: string;
  generation: number;
}

/**
 * One user as the login shard holding it sees them (the `user` query). Counters start when the
 * shard's current run first saw the user (a continue-as-new carries only the skip state).
 */
export interface UserPreloadStatus {
  userId: string;
  state: 'idle' | 'waiting' | 'preloading';
  logins: number;
  preloads: number;
  failedPreloads: number;
  skipped: number;
  coalesced: number;
  lastLoginAt: string;
  /** When the last preload in which every source succeeded finished: the skip window's start. */
  lastCompleteAt: string | null;
  lastResult: PreloadSummary | null;
  lastError: string | null;
}

/** `waitForUserPreload` argument: whose preload to wait for. */
export interface WaitForUserPreload {
  userId: string;
}

/**
 * How the logins a `waitForUserPreload` waited for were served: `preloaded` (every source in
 * Redis), `failed` (some source failed or was shed), `skipped` (preloaded within the skip window:
 * the data is there), `carried` (the shard continued as new first: the next run preloads it),
 * `unknown` (the shard holds no login of this user).
 */
export type UserPreloadOutcome = 'preloaded' | 'failed' | 'skipped' | 'carried' | 'unknown';

export interface UserPreloadWaitResult {
  userId: string;
  outcome: UserPreloadOutcome;
  /** The preload child that served them, when one ran. */
  preloadWorkflowId?: string;
}

/** The auth service's login report (`temporal workflow signal-with-start --signal-name userLoggedIn`). */
export const userLoggedInSignal = defineSignal<[UserLoggedIn]>('userLoggedIn');
export const userSessionStatusQuery = defineQuery<UserSessionStatus>('status');
/** `warmctl apply` tells every login shard the skip window, so a re-applied config takes effect at the next login. */
export const preloadSettingsSignal = defineSignal<[PreloadSettings]>('preloadSettings');
/**
 * Sent to a login shard right after `userLoggedIn` by an auth service that can wait: completes
 * once the user's waiting and running preloads are done. It carries no login (the signal does),
 * and the caller bounds the wait by its own deadline.
 */
export const waitForUserPreloadUpdate = defineUpdate<UserPreloadWaitResult, [WaitForUserPreload]>('waitForUserPreload');
export const userLoginsStatusQuery = defineQuery<UserLoginsStatus>('status');
/** One user's state in the shard that holds it, or null when it holds none (no recent login). */
export const userPreloadStatusQuery = defineQuery<UserPreloadStatus | null, [string]>('user');

const SESSION_PREFIX = userSessionWorkflowId('');

/** The user id inside a `user-session:` workflow id, or undefined for other ids. */
export function userIdFromSessionWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(SESSION_PREFIX) && workflowId.length > SESSION_PREFIX.length
    ? workflowId.slice(SESSION_PREFIX.length)
    : undefined;
}

/**
 * `preload-user:<userId>:<startedAtMs>`: one preload of a user. `startedAtMs` is the workflow time
 * the preload started, so ids never repeat for a user, even across the session's idle closes. A
 * user id too long for Temporal's id limit appears cut, with a digest of the whole id
 * (core/temporal-limits.ts), so any user id the login API accepts makes a valid child id.
 */
export function preloadUserWorkflowId(userId: string, startedAtMs: number): string {
  return `${preloadIdPrefix(userId)}${startedAtMs}`;
}

/** The id release 0.2 built, whatever its length: kept for histories that started such children. */
export function legacyPreloadUserWorkflowId(userId: string, startedAtMs: number): string {
  return `${PRELOAD_ID_HEAD}${userId}:${startedAtMs}`;
}

const PRELOAD_ID_HEAD = 'preload-user:';
/** Room kept for `:<startedAtMs>`: 16 digits last until the year 318 857. */
const PRELOAD_ID_TAIL = ':0000000000000000';

function preloadIdPrefix(userId: string): string {
  return `${boundedId(PRELOAD_ID_HEAD, userId, PRELOAD_ID_TAIL).slice(0, -PRELOAD_ID_TAIL.length)}:`;
}

/** The static summary of a user's preload child, within Temporal's summary limit. */
export function preloadUserSummary(userId: string): string {
  return boundedText(`Preload of ${userId} on login`, TEMPORAL_LIMITS.summaryBytes);
}

/** A visibility query for a user's preload children (`temporal workflow list --query ...`). */
export function preloadsOfUserQuery(userId: string): string {
  const prefix = preloadIdPrefix(userId).replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return `WorkflowType = 'preloadUserWorkflow' AND WorkflowId STARTS_WITH '${prefix}'`;
}

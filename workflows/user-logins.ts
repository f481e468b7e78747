// userLoginsWorkflow: a long-running login receiver (`user-logins:<shard>`) for the users of one
// shard. The auth service's signal-with-start lands here; the workflow dedupes logins per user
// (coalescing while that user's preload runs, skipping users preloaded within the skip window)
// and starts one preloadUserWorkflow child per login it serves. Many users' logins share its
// workflow tasks, so a login costs no workflow start of its own besides its child. It continues
// as new before its history grows large, carrying each recent user's skip state.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { parseUserLoggedIn, userIdProblem } from '../core/user-login';
import { arriveLogin, skipsPreload } from '../core/login-batching';
import { CARRIED_USERS_BUDGET_BYTES, utf8Bytes } from '../core/temporal-limits';
import { preloadUserWorkflow } from './preload-user';
import {
  preloadSettingsSignal,
  preloadSummary,
  preloadUserSummary,
  userLoggedInSignal,
  userLoginsStatusQuery,
  userPreloadStatusQuery,
  waitForUserPreloadUpdate,
  type PreloadSettings,
  type PreloadUserResult,
  type UserLoginsStatus,
  type UserPreloadStatus,
  type UserPreloadWaitResult,
} from './user-definitions';
import { shedLoads } from '../core/preload-results';
import { describeFailure } from './describe-failure';
import { preloadChildId } from './bounded-commands';
import { countInput } from './input-metrics';
import { CarriedStateError, migrateCarriedUserLogins } from './carried-state';
import type { CarriedUserLoginsState, CarriedUserTuple } from './carried-types';
import { fromTuple, isCarriedUser, newEntry, toTuple, type PendingLogins, type UserEntry } from './login-shard-users';

export { CARRIED_FLAGS } from './login-shard-users';

export interface UserLoginsInput {
  carried?: CarriedUserLoginsState;
  /** Continue as new after this many history events, or sooner when Temporal suggests it. Default 10 000. */
  historyEventsLimit?: number;
}

const DEFAULT_HISTORY_EVENTS_LIMIT = 10_000;
/** The config's default skip window, until a preload or `preloadSettings` says otherwise. */
const DEFAULT_SKIP_MS = 5 * 60_000;
/** A user's entry stays this long after its last login at least (for `warmctl` and the tests to read). */
const MIN_RETENTION_MS = 60_000;
/** Users carried across continue-as-new at most (about 60 bytes each, and CARRIED_USERS_BUDGET_BYTES in all). */
const MAX_CARRIED_USERS = 10_000;
const MAX_REASON_LENGTH = 300;
/** Ids a preload child is tried under at most when its id is taken (PRELOAD_ID_TAKEN_PATCH). */
const PRELOAD_ID_ATTEMPTS = 3;

/**
 * Patch: a preload child whose id (`preload-user:<userId>:<ms>`) is held by a running workflow is
 * started again under the id of a later millisecond, instead of failing the preload. Another
 * starter holds it when it preloads the same user in the same millisecond: the shard of the other
 * shard count while WARMING_LOGIN_SHARDS changes, another deployment in the namespace (preload ids
 * carry neither queue nor instance), or release 0.1's per-user workflow. Asked only once a start
 * failed so, so histories that never met a taken id replay as they ran.
 */
export const PRELOAD_ID_TAKEN_PATCH = 'preload-id-taken';

export async function userLoginsWorkflow(rawInput: UserLoginsInput = {}): Promise<void> {
  const { historyEventsLimit, carried } = readShardInput(rawInput);
  const counters = {
    logins: carried?.logins ?? 0,
    preloads: carried?.preloads ?? 0,
    failedPreloads: carried?.failedPreloads ?? 0,
    skipped: carried?.skipped ?? 0,
    coalesced: carried?.coalesced ?? 0,
    rejected: carried?.rejected ?? 0,
    droppedLogins: typeof carried?.droppedLogins === 'number' ? carried.droppedLogins : 0,
    shed: typeof carried?.shed === 'number' ? carried.shed : 0,
  };
  let lastRejection = carried?.lastRejection ?? null;
  let skipMs = carried?.skipMs ?? DEFAULT_SKIP_MS;
  const since = carried?.since ?? new Date().toISOString();
  const generation = carried?.generation ?? 0;
  const users = new Map<string, UserEntry>();
  for (const tuple of carried?.users ?? []) if (isCarriedUser(tuple)) users.set(tuple[0], newEntry(fromTuple(tuple)));
  /** Users with logins waiting, in arrival order. */
  const ready = new Set<string>([...users].filter(([, user]) => user.pending).map(([userId]) => userId));
  let serving = 0;
  let draining = false;

  setHandler(userLoginsStatusQuery, (): UserLoginsStatus => ({
    ...counters,
    lastRejection,
    users: users.size,
    serving,
    waiting: ready.size,
    skipIfWarmedWithinMinutes: skipMs / 60_000,
    since,
    generation,
  }));
  setHandler(userPreloadStatusQuery, (userId: string): UserPreloadStatus | null => {
    const user = users.get(userId);
    return user ? userStatus(userId, user) : null;
  });
  setHandler(preloadSettingsSignal, (payload: unknown) => {
    const minutes = (payload as Partial<PreloadSettings> | null)?.skipIfWarmedWithinMinutes;
    if (typeof minutes !== 'number' || !(minutes >= 0 && minutes <= 24 * 60)) {
      countInput('preloadSettings', 'rejected');
      return void log.warn('preloadSettings signal dropped', {
        problem: 'skipIfWarmedWithinMinutes must be a number from 0 to 1440',
      });
    }
    skipMs = minutes * 60_000;
  });
  // Never throws: a malformed payload must not fail the workflow task, so it is logged and dropped.
  setHandler(userLoggedInSignal, (payload: unknown) => {
    const { login, problem } = parseUserLoggedIn(payload);
    if (problem !== undefined) {
      counters.rejected++;
      lastRejection = problem.slice(0, MAX_REASON_LENGTH);
      log.warn('userLoggedIn signal dropped', { problem: lastRejection });
      countInput('userLoggedIn', 'rejected');
      return;
    }
    const wanted: PendingLogins = { force: login.force, preloadForms: login.preloadForms };
    const user = users.get(login.userId) ?? newEntry();
    users.set(login.userId, user);
    counters.logins++;
    user.logins++;
    user.lastLoginAtMs = Date.now();
    const arrival = arriveLogin(wanted, user.serving, user.pending);
    if (arrival.kind !== 'covered') user.pending = arrival.pending;
    if (arrival.kind === 'queued') {
      if (!user.serving) ready.add(login.userId);
    } else {
      counters.coalesced++;
      user.coalesced++;
    }
  });

  // Waits for what the user's last login started; the caller's own deadline bounds the wait.
  setHandler(
    waitForUserPreloadUpdate,
    async ({ userId }): Promise<UserPreloadWaitResult> => {
      const user = users.get(userId);
      if (!user) return { userId, outcome: 'unknown' };
      const target = user.finished + (user.serving ? 1 : 0) + (user.pending ? 1 : 0);
      // While draining, logins still waiting are carried to the next run, not served by this one.
      await condition(() => user.finished >= target || (draining && !user.serving));
      if (user.finished < target) return { userId, outcome: 'carried' };
      return {
        userId,
        outcome: user.lastOutcome,
        ...(user.lastWorkflowId !== undefined ? { preloadWorkflowId: user.lastWorkflowId } : {}),
      };
    },
    {
      // A malformed request is refused before it reaches history.
      validator: (request: unknown) => {
        const problem = userIdProblem((request as { userId?: unknown } | null)?.userId);
        if (problem !== undefined) {
          countInput('waitForUserPreload', 'rejected');
          throw new TypeError(`waitForUserPreload: ${problem}`);
        }
      },
    },
  );

  /** Serves one user's waiting logins: skips them, or runs one preload child for all of them. */
  async function serve(userId: string, user: UserEntry): Promise<void> {
    const batch = user.pending as PendingLogins;
    user.pending = null;
    if (
      skipsPreload(
        batch,
        { completeAtMs: user.lastCompleteAtMs, includedForms: user.includedForms },
        skipMs,
        Date.now(),
      )
    ) {
      counters.skipped++;
      user.skipped++;
      user.lastOutcome = 'skipped';
      user.finished++;
      return;
    }
    let startedMs = Date.now();
    let workflowId = preloadChildId(userId, startedMs);
    counters.preloads++;
    user.preloads++;
    user.serving = batch;
    serving++;
    try {
      const start = () =>
        startChild(preloadUserWorkflow, {
          workflowId,
          args: [{ userId, preloadForms: batch.preloadForms, force: batch.force }],
          // A stuck preload must not hold the user's logins forever.
          workflowExecutionTimeout: '10m',
          // A preload finishes even if this shard is terminated or reset.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: preloadUserSummary(userId),
        });
      let child: Awaited<ReturnType<typeof start>> | undefined;
      for (let attempt = 1; child === undefined; attempt++) {
        try {
          child = await start();
        } catch (err) {
          const taken = err instanceof WorkflowExecutionAlreadyStartedError;
          if (!taken || attempt >= PRELOAD_ID_ATTEMPTS || !patched(PRELOAD_ID_TAKEN_PATCH)) throw err;
          log.warn('preload child id taken, starting it under a later one', { workflowId });
          startedMs = Math.max(Date.now(), startedMs + 1);
          workflowId = preloadChildId(userId, startedMs);
        }
      }
      const result = await child.result();
      if (result.applied) skipMs = result.applied.skipIfWarmedWithinMinutes * 60_000;
      record(user, workflowId, result, batch);
    } catch (err) {
      if (isCancellation(err)) throw err;
      counters.failedPreloads++;
      user.failedPreloads++;
      user.lastError = describeFailure(err);
      user.lastOutcome = 'failed';
      log.warn('user preload failed', { workflowId, error: user.lastError });
    } finally {
      user.lastWorkflowId = workflowId;
      user.finished++;
      user.serving = null;
      serving--;
      if (user.pending) ready.add(userId);
    }
  }

  function record(user: UserEntry, workflowId: string, result: PreloadUserResult, batch: PendingLogins): void {
    user.lastResult = preloadSummary(workflowId, result);
    if (shedLoads(result.sources ?? []) > 0) counters.shed++;
    user.lastOutcome = result.ok ? 'preloaded' : 'failed';
    if (result.ok) {
      user.lastCompleteAtMs = Date.now();
      user.includedForms = batch.preloadForms;
      user.lastError = null;
    } else {
      counters.failedPreloads++;
      user.failedPreloads++;
      user.lastError = result.error ?? `sources failed: ${result.failed.join(', ')}`;
    }
  }

  /** Forgets users with nothing waiting or running whose skip window (and a minute) has passed. */
  function prune(): void {
    const now = Date.now();
    const retentionMs = Math.max(skipMs, MIN_RETENTION_MS);
    for (const [userId, user] of users) {
      if (user.pending || user.serving) continue;
      if (now - Math.max(user.lastLoginAtMs, user.lastCompleteAtMs ?? 0) > retentionMs) users.delete(userId);
    }
  }

  for (;;) {
    if (!draining) {
      for (const userId of [...ready]) {
        ready.delete(userId);
        const user = users.get(userId);
        if (user?.pending && !user.serving) void serve(userId, user);
      }
      prune();
      const info = workflowInfo();
      draining = info.continueAsNewSuggested || info.historyLength >= historyEventsLimit;
    }
    if (draining) {
      // New logins wait (and are carried) while the running preloads finish.
      await condition(() => serving === 0 && allHandlersFinished());
      prune();
      await continueAsNew<typeof userLoginsWorkflow>({
        carried: carry(),
        historyEventsLimit,
      });
    }
    await condition(() => ready.size > 0 || workflowInfo().continueAsNewSuggested);
  }

  function carry(): CarriedUserLoginsState {
    // Users with logins waiting first (dropping one loses a login), then the most recent, as many
    // as fit one continue-as-new payload: a shard of long user ids must never outgrow it.
    const order = [...users].sort(
      ([, a], [, b]) => Number(b.pending !== null) - Number(a.pending !== null) || b.lastLoginAtMs - a.lastLoginAtMs,
    );
    const recent: CarriedUserTuple[] = [];
    let bytes = 0;
    for (const [userId, user] of order) {
      const tuple = toTuple(userId, user);
      bytes += utf8Bytes(JSON.stringify(tuple)) + 1;
      if (recent.length >= MAX_CARRIED_USERS || bytes > CARRIED_USERS_BUDGET_BYTES) {
        if (user.pending) {
          counters.droppedLogins++;
          countInput('userLoggedIn', 'dropped');
        }
        continue;
      }
      recent.push(tuple);
    }
    if (recent.length < users.size)
      log.warn('login shard carried only its most recent users', { carried: recent.length, users: users.size });
    return {
      version: 1,
      ...counters,
      lastRejection,
      skipMs,
      users: recent,
      since,
      generation: generation + 1,
    };
  }

  function userStatus(userId: string, user: UserEntry): UserPreloadStatus {
    return {
      userId,
      state: user.serving ? 'preloading' : user.pending ? 'waiting' : 'idle',
      logins: user.logins,
      preloads: user.preloads,
      failedPreloads: user.failedPreloads,
      skipped: user.skipped,
      coalesced: user.coalesced,
      lastLoginAt: new Date(user.lastLoginAtMs).toISOString(),
      lastCompleteAt: user.lastCompleteAtMs === null ? null : new Date(user.lastCompleteAtMs).toISOString(),
      lastResult: user.lastResult,
      lastError: user.lastError,
    };
  }
}

/**
 * The shard's input, parsed: anyone may start a shard (its id is well known), and it serves many
 * users, so an input it cannot read is logged and left out, never a failed workflow task.
 */
function readShardInput(input: unknown): { historyEventsLimit: number; carried?: CarriedUserLoginsState } {
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const limit = raw.historyEventsLimit;
  const historyEventsLimit =
    typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 ? limit : DEFAULT_HISTORY_EVENTS_LIMIT;
  if (limit !== undefined && limit !== historyEventsLimit) {
    log.warn('login shard input: historyEventsLimit ignored', { problem: 'must be a positive integer' });
  }
  try {
    return { historyEventsLimit, carried: migrateCarriedUserLogins(raw.carried) };
  } catch (err) {
    if (!(err instanceof CarriedStateError)) throw err;
    log.warn('login shard input: carried state ignored, starting empty', { problem: err.message });
    return { historyEventsLimit };
  }
}

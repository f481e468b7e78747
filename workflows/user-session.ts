// userSessionWorkflow: one per user (`user-session:<userId>`), started or signalled by the auth
// service's signal-with-start: the login receiver of release 0.1, kept so that call keeps working
// (the cheaper receiver is userLoginsWorkflow). It dedupes logins (coalescing while a preload runs,
// skipping recent ones), runs each preload as a child workflow, and completes when idle so open
// workflows and history stay bounded.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import type { UserPreloadSettings } from '../activities/user-preload-activities';
import { parseUserLoggedIn, userIdProblem } from '../core/user-login';
import { arriveLogin, skipsPreload, type LastPreload } from '../core/login-batching';
import { preloadUserWorkflow } from './preload-user';
import {
  preloadSummary,
  userIdFromSessionWorkflowId,
  userLoggedInSignal,
  userSessionStatusQuery,
  type UserSessionStatus,
} from './user-definitions';
import { describeFailure } from './describe-failure';
import { preloadChildId } from './bounded-commands';
import { countInput } from './input-metrics';
import { migrateCarriedUserSessionState } from './carried-state';
import type { CarriedUserSessionState, PendingLogins } from './carried-types';

export interface UserSessionInput {
  /** Defaults to the user in the workflow id, which wins when both are given and differ. */
  userId?: string;
  carried?: CarriedUserSessionState;
  /** Continue as new after this many history events, or sooner when Temporal suggests it. Default 10 000. */
  historyEventsLimit?: number;
}

const DEFAULT_HISTORY_EVENTS_LIMIT = 10_000;
/** Idle time before the settings have been read once (the config's own default). */
const DEFAULT_IDLE_MS = 30 * 60_000;
const MAX_REASON_LENGTH = 300;

/**
 * Patch: the preload child reads the settings itself (no local activity per login here, and no
 * clock read after one: release 0.1 named the child from the time a local activity resolved,
 * which a replay reads differently, so its histories wedged on replay).
 */
export const SETTINGS_IN_PRELOAD_PATCH = 'settings-in-preload';

/** Release 0.1 only: settings from Redis on every served login. */
const { readUserPreloadSettings } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 5 },
});

/** Logged for each login sent through the release 0.1 path, with what replaces it. */
export const LEGACY_LOGIN_WARNING =
  'login through user-session:<userId> is deprecated and goes in release 0.5: send it with notifyUserLoggedIn, ' +
  'or signal-with-start userLoggedIn to the login shard user-logins:<taskQueue>:<shard> (docs/upgrading.md)';

export async function userSessionWorkflow(rawInput: UserSessionInput = {}): Promise<UserSessionStatus> {
  // Anyone may start one: an input that is not an object reads as none (the user comes from the id).
  const input: UserSessionInput =
    typeof rawInput === 'object' && rawInput !== null && !Array.isArray(rawInput) ? rawInput : {};
  const userId = resolveUserId(input);
  const historyEventsLimit = input.historyEventsLimit ?? DEFAULT_HISTORY_EVENTS_LIMIT;
  const state: CarriedUserSessionState = migrateCarriedUserSessionState(input.carried) ?? {
    logins: 0,
    preloads: 0,
    failedPreloads: 0,
    skipped: 0,
    coalesced: 0,
    rejected: 0,
    lastLoginAtMs: Date.now(),
    lastPreloadAt: null,
    lastCompleteAtMs: null,
    lastCompleteIncludedForms: false,
    lastResult: null,
    lastError: null,
    lastRejection: null,
    idleMs: DEFAULT_IDLE_MS,
    skipMs: 0,
    pending: null,
    since: new Date().toISOString(),
    generation: 0,
  };
  /** The batch being served right now (settings read, then the child), or null. */
  let serving: PendingLogins | null = null;

  // Stay open through the skip window too: a new run would not know the user was just preloaded.
  const closesAtMs = () => Math.max(state.lastLoginAtMs + state.idleMs, (state.lastCompleteAtMs ?? 0) + state.skipMs);

  const status = (): UserSessionStatus => ({
    userId,
    state: serving ? 'preloading' : 'idle',
    logins: state.logins,
    preloads: state.preloads,
    failedPreloads: state.failedPreloads,
    skipped: state.skipped,
    coalesced: state.coalesced,
    rejected: state.rejected,
    lastLoginAt: state.logins > 0 ? iso(state.lastLoginAtMs) : null,
    lastPreloadAt: state.lastPreloadAt,
    lastResult: state.lastResult,
    lastError: state.lastError,
    lastRejection: state.lastRejection,
    closesAt: iso(closesAtMs()),
    since: state.since,
    generation: state.generation,
  });

  setHandler(userSessionStatusQuery, status);

  // Never throws: a malformed payload must not fail the workflow task, so it is logged and dropped.
  setHandler(userLoggedInSignal, (payload: unknown) => {
    const { login, problem } = parseUserLoggedIn(payload, userId);
    if (problem !== undefined) {
      state.rejected++;
      state.lastRejection = problem.slice(0, MAX_REASON_LENGTH);
      log.warn('userLoggedIn signal dropped', { problem: state.lastRejection });
      countInput('userLoggedIn', 'rejected');
      return;
    }
    // Workflow logs and metrics are not emitted on replay: one warning per login sent this way.
    log.warn(LEGACY_LOGIN_WARNING, { userId: login.userId, replacement: 'notifyUserLoggedIn (login shards)' });
    countInput('userLoggedIn', 'deprecated');
    const wanted: PendingLogins = { force: login.force, preloadForms: login.preloadForms };
    state.logins++;
    state.lastLoginAtMs = Date.now();
    const arrival = arriveLogin(wanted, serving, state.pending);
    if (arrival.kind !== 'covered') state.pending = arrival.pending;
    if (arrival.kind !== 'queued') state.coalesced++;
  });

  const lastPreload = (): LastPreload => ({
    completeAtMs: state.lastCompleteAtMs,
    includedForms: state.lastCompleteIncludedForms,
  });

  async function serve(batch: PendingLogins): Promise<void> {
    if (patched(SETTINGS_IN_PRELOAD_PATCH)) return servePreloadReadingSettings(batch);
    let settings: UserPreloadSettings;
    try {
      settings = await readUserPreloadSettings();
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.failedPreloads++;
      state.lastError = describeFailure(err);
      log.warn('user preload not started: no settings', { error: state.lastError });
      return;
    }
    state.idleMs = settings.preload.idleMinutes * 60_000;
    state.skipMs = settings.preload.skipIfWarmedWithinMinutes * 60_000;
    if (skipsPreload(batch, lastPreload(), state.skipMs, Date.now())) {
      state.skipped++;
      return;
    }
    const startedMs = Date.now();
    const workflowId = preloadChildId(userId, startedMs);
    state.preloads++;
    state.lastPreloadAt = iso(startedMs);
    try {
      const result = await executeChild(preloadUserWorkflow, {
        workflowId,
        args: [
          {
            userId,
            settings: settings.preload,
            reservedPrefix: settings.reservedPrefix,
            preloadForms: batch.preloadForms,
            force: batch.force,
          },
        ],
        // A stuck preload must not hold the user's logins forever.
        workflowExecutionTimeout: '10m',
        staticSummary: 'User preload on login',
      });
      state.lastResult = preloadSummary(workflowId, result);
      if (result.ok) {
        state.lastCompleteAtMs = Date.now();
        state.lastCompleteIncludedForms = batch.preloadForms;
        state.lastError = null;
      } else {
        state.failedPreloads++;
        state.lastError = `sources failed: ${result.failed.join(', ')}`;
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.failedPreloads++;
      state.lastError = describeFailure(err);
      log.warn('user preload failed', { workflowId, error: state.lastError });
    }
  }

  /** From release 0.2: the child reads the applied settings and reports the windows they set. */
  async function servePreloadReadingSettings(batch: PendingLogins): Promise<void> {
    if (skipsPreload(batch, lastPreload(), state.skipMs, Date.now())) {
      state.skipped++;
      return;
    }
    const startedMs = Date.now();
    const workflowId = preloadChildId(userId, startedMs);
    state.preloads++;
    state.lastPreloadAt = iso(startedMs);
    try {
      const result = await executeChild(preloadUserWorkflow, {
        workflowId,
        args: [{ userId, preloadForms: batch.preloadForms, force: batch.force }],
        // A stuck preload must not hold the user's logins forever.
        workflowExecutionTimeout: '10m',
        staticSummary: 'User preload on login',
      });
      if (result.applied) {
        state.idleMs = result.applied.idleMinutes * 60_000;
        state.skipMs = result.applied.skipIfWarmedWithinMinutes * 60_000;
      }
      state.lastResult = preloadSummary(workflowId, result);
      if (result.ok) {
        state.lastCompleteAtMs = Date.now();
        state.lastCompleteIncludedForms = batch.preloadForms;
        state.lastError = null;
      } else {
        state.failedPreloads++;
        state.lastError = result.error ?? `sources failed: ${result.failed.join(', ')}`;
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.failedPreloads++;
      state.lastError = describeFailure(err);
      log.warn('user preload failed', { workflowId, error: state.lastError });
    }
  }

  for (;;) {
    if (state.pending) {
      const batch = state.pending;
      state.pending = null;
      serving = batch;
      try {
        await serve(batch);
      } finally {
        serving = null;
      }
      continue;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= historyEventsLimit) {
      await condition(allHandlersFinished);
      if (!state.pending) {
        await continueAsNew<typeof userSessionWorkflow>({
          userId,
          carried: { ...state, generation: state.generation + 1 },
          historyEventsLimit,
        });
      }
      continue;
    }
    const untilClose = closesAtMs() - Date.now();
    if (untilClose <= 0) {
      // A login that arrives while closing is still served: re-check after the handlers ran. One
      // that arrives after completion starts a new run through signal-with-start.
      await condition(allHandlersFinished);
      if (!state.pending) break;
      continue;
    }
    await condition(() => state.pending !== null, untilClose);
  }

  return status();
}

/** The workflow's user: from its id (`user-session:<userId>`), else from the input. */
function resolveUserId(input: UserSessionInput): string {
  const fromId = userIdFromSessionWorkflowId(workflowInfo().workflowId);
  const candidate = fromId ?? input.userId;
  const problem = userIdProblem(candidate);
  if (problem) {
    throw ApplicationFailure.nonRetryable(`userSessionWorkflow needs a valid user: ${problem}`, 'BadInput');
  }
  if (fromId !== undefined && input.userId !== undefined && input.userId !== fromId) {
    log.warn('userSessionWorkflow input names another user than its workflow id; using the id');
  }
  return candidate as string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// preloadUserWorkflow: one login's preload, a child of the workflow that received the login (a
// login shard, or a legacy per-user session). One preloadUser activity loads session, navigation
// and forms in parallel and writes them; a failing source never stops the others. Returns metadata
// only: ids, keys, sizes and timings, never user data.
//
// Two shapes, chosen by the input so every history replays the way it ran: without `settings`
// (release 0.2 on) the activity is local (a marker in this workflow's first task, no activity task
// round trip) and reads the applied config itself; with `settings` (release 0.1 sessions) it is a
// normal activity given the settings the session read.
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import { userIdProblem } from '../core/user-login';
import type { Activities } from '../activities/create-activities';
import type { LoaderSpec, UserPreloadSpec } from '../core/config-schema';
import { retryDelayMs, type LoadRetryPolicy } from '../core/load-retry';
import type { PreloadSourceName, PreloadSourceResult, PreloadUserResult } from './user-definitions';
import { describeFailure } from './describe-failure';

export interface PreloadUserInput {
  userId: string;
  /**
   * Release 0.1: the applied `userPreload` section the session read. Absent from 0.2 on: the
   * preload's local activity reads the applied config itself.
   */
  settings?: UserPreloadSpec;
  /** Release 0.1: keys under this prefix belong to the system. From 0.2 on the worker's prefix. */
  reservedPrefix?: string;
  /** Load the recent forms too; default true. */
  preloadForms?: boolean;
  /** Recorded in the result: the preload ignored the skip window. */
  force?: boolean;
}

const SOURCE_ORDER: readonly PreloadSourceName[] = ['session', 'navigation', 'forms'];

/**
 * Patch: a preload given `settings` its activity refuses as input (a key under the reserved
 * prefix, a malformed section) fails naming the field; before, it completed with every source failed.
 */
export const STRICT_PRELOAD_INPUT_PATCH = 'strict-preload-input';

/**
 * How the preload activity retries each load and write inside itself. A login waits on these, so
 * retries are few and quick.
 */
const LOAD_RETRY: LoadRetryPolicy = {
  maximumAttempts: 3,
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 5_000,
};

/** Forms of one login loading at once (the per-origin limiter still applies). */
const FORMS_CONCURRENCY = 5;

/** A loader without its own timeout gets the worker's, 30 s unless the worker changed it. */
const DEFAULT_LOADER_TIMEOUT_SECONDS = 30;

/**
 * Seconds one preload may take when every load uses all its attempts at its loader's timeout plus
 * the waits between them: the slowest source (forms: the list, then the forms in rounds of
 * `formsConcurrency`), plus 30 s for the writes and slack.
 */
export function preloadUserTimeoutSeconds(
  settings: UserPreloadSpec,
  preloadForms: boolean,
  formsConcurrency: number,
  retry: LoadRetryPolicy,
): number {
  let waitsMs = 0;
  for (let attempt = 1; attempt < retry.maximumAttempts; attempt++) waitsMs += retryDelayMs(retry, attempt);
  const loadSeconds = (loader: LoaderSpec) =>
    retry.maximumAttempts * (loader.timeoutSeconds ?? DEFAULT_LOADER_TIMEOUT_SECONDS) + Math.ceil(waitsMs / 1000);
  const sources = [0];
  if (settings.session) sources.push(loadSeconds(settings.session.loader));
  if (settings.navigation) sources.push(loadSeconds(settings.navigation.loader));
  if (settings.forms && preloadForms) {
    const rounds = Math.ceil(settings.forms.max / formsConcurrency);
    sources.push(loadSeconds(settings.forms.list) + rounds * loadSeconds(settings.forms.item));
  }
  return Math.max(...sources) + 30;
}

/**
 * The local activity of a 0.2 preload: every load's own timeout and retries bound it far below
 * this, and the parent gives the whole preload 10 minutes.
 */
const { preloadUser: preloadUserLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: {
    initialInterval: LOAD_RETRY.initialIntervalMs,
    backoffCoefficient: LOAD_RETRY.backoffCoefficient,
    maximumInterval: LOAD_RETRY.maximumIntervalMs,
    maximumAttempts: LOAD_RETRY.maximumAttempts,
  },
});

export async function preloadUserWorkflow(input: PreloadUserInput): Promise<PreloadUserResult> {
  // Anyone may start one (`temporal workflow start`): an input it cannot serve fails it, naming the field.
  const problem = preloadInputProblem(input);
  if (problem) throw ApplicationFailure.nonRetryable(`preloadUserWorkflow input refused: ${problem}`, 'BadInput');
  if (input.settings === undefined) return preloadLocally(input);
  return preloadWithSettings(input, input.settings);
}

/** Release 0.2 on: one local activity that reads the applied config and loads every source. */
async function preloadLocally(input: PreloadUserInput): Promise<PreloadUserResult> {
  const { userId } = input;
  const preloadForms = input.preloadForms ?? true;
  const startedMs = Date.now();
  let sources: PreloadSourceResult[] = [];
  let error: string | undefined;
  let applied: PreloadUserResult['applied'];
  let skipped: PreloadSourceName[] = [];
  try {
    ({
      sources,
      applied,
      skipped = [],
    } = await preloadUserLocally({
      userId,
      preloadForms,
      formsConcurrency: FORMS_CONCURRENCY,
      retry: LOAD_RETRY,
    }));
  } catch (err) {
    if (isCancellation(err)) throw err;
    // No config, a bad one, or bad input: nothing was loaded, and the reason says why.
    error = describeFailure(err);
  }
  const failed = SOURCE_ORDER.filter((name) => sources.some((s) => s.source === name && !s.ok));
  const finishedMs = Date.now();
  return {
    userId,
    ok: error === undefined && failed.length === 0,
    failed,
    skipped,
    sources,
    keysWritten: sources.flatMap((s) => s.keys.filter((k) => k.ok && k.written).map((k) => k.cacheKey)),
    force: input.force ?? false,
    preloadForms,
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    durationMs: finishedMs - startedMs,
    ...(error !== undefined ? { error } : {}),
    ...(applied ? { applied } : {}),
  };
}

/** Release 0.1: a normal activity with the settings the session read (kept so those runs replay). */
async function preloadWithSettings(input: PreloadUserInput, settings: UserPreloadSpec): Promise<PreloadUserResult> {
  const { userId } = input;
  const reservedPrefix = input.reservedPrefix ?? '';
  const preloadForms = input.preloadForms ?? true;
  const startedMs = Date.now();

  // Temporal retries the activity only when it is lost (a worker crash, noticed by the heartbeat
  // timeout) or fails unexpectedly; each load's own failures are retried inside it and reported.
  const { preloadUser } = proxyActivities<Activities>({
    startToCloseTimeout: `${preloadUserTimeoutSeconds(settings, preloadForms, FORMS_CONCURRENCY, LOAD_RETRY)}s`,
    heartbeatTimeout: '20s',
    retry: {
      initialInterval: LOAD_RETRY.initialIntervalMs,
      backoffCoefficient: LOAD_RETRY.backoffCoefficient,
      maximumInterval: LOAD_RETRY.maximumIntervalMs,
      maximumAttempts: LOAD_RETRY.maximumAttempts,
    },
  });

  let sources: PreloadSourceResult[];
  try {
    ({ sources } = await preloadUser({
      userId,
      settings,
      reservedPrefix,
      preloadForms,
      formsConcurrency: FORMS_CONCURRENCY,
      retry: LOAD_RETRY,
    }));
  } catch (err) {
    if (isCancellation(err)) throw err;
    // An input the activity refused is the starter's fault, not the sources': fail, naming the field.
    if (isBadInput(err) && patched(STRICT_PRELOAD_INPUT_PATCH)) {
      throw ApplicationFailure.nonRetryable(`preloadUserWorkflow input refused: ${describeFailure(err)}`, 'BadInput');
    }
    // Nothing is known of any source: each configured one failed for the activity's reason.
    const error = describeFailure(err);
    const durationMs = Date.now() - startedMs;
    sources = SOURCE_ORDER.filter((name) => settings[name] !== undefined && (name !== 'forms' || preloadForms)).map(
      (source) => ({ source, ok: false, durationMs, keys: [], error }),
    );
  }

  const failed = SOURCE_ORDER.filter((name) => sources.some((s) => s.source === name && !s.ok));
  const finishedMs = Date.now();
  return {
    userId,
    ok: failed.length === 0,
    failed,
    skipped: settings.forms && !preloadForms ? ['forms'] : [],
    sources,
    keysWritten: sources.flatMap((s) => s.keys.filter((k) => k.ok && k.written).map((k) => k.cacheKey)),
    force: input.force ?? false,
    preloadForms,
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    durationMs: finishedMs - startedMs,
  };
}

function preloadInputProblem(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'input must be an object';
  const { userId, preloadForms, force, settings } = input as Record<string, unknown>;
  const problem = userIdProblem(userId);
  if (problem) return problem;
  if (preloadForms !== undefined && typeof preloadForms !== 'boolean') return 'preloadForms must be a boolean';
  if (force !== undefined && typeof force !== 'boolean') return 'force must be a boolean';
  if (settings !== undefined && (typeof settings !== 'object' || settings === null))
    return 'settings must be an object';
  return undefined;
}

/** Whether an activity failed for its input (`BadInput`), not for a source. */
function isBadInput(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'BadInput';
}

// preloadUserWorkflow: one login's preload, a child of the user's session workflow. One preloadUser
// activity loads session, navigation and forms in parallel and writes them, so a login costs one
// activity round trip; a failing source never stops the others. Returns metadata only: ids, keys,
// sizes and timings, never user data.
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import type { LoaderSpec, UserPreloadSpec } from '../core/config-schema';
import { retryDelayMs, type LoadRetryPolicy } from '../core/load-retry';
import type { PreloadSourceName, PreloadSourceResult, PreloadUserResult } from './user-definitions';
import { describeFailure } from './describe-failure';

export interface PreloadUserInput {
  userId: string;
  /** The applied `userPreload` section: which sources, keys, TTLs. */
  settings: UserPreloadSpec;
  /** Keys under this prefix belong to the system; a template that expands into it is refused. */
  reservedPrefix: string;
  /** Load the recent forms too; default true. */
  preloadForms?: boolean;
  /** Recorded in the result: the preload ignored the skip window. */
  force?: boolean;
}

const SOURCE_ORDER: readonly PreloadSourceName[] = ['session', 'navigation', 'forms'];

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

export async function preloadUserWorkflow(input: PreloadUserInput): Promise<PreloadUserResult> {
  const { userId, settings, reservedPrefix } = input;
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

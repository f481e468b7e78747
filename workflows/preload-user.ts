// preloadUserWorkflow: one login's preload, a child of the user's session workflow. Session,
// navigation and forms load in parallel, each through its own activities, so a failing source
// never stops the others. Returns metadata only: ids, keys, sizes and timings, never user data.
import { ApplicationFailure, isCancellation, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import type { LoaderSpec, UserPreloadSpec } from '../core/config-schema';
import { expandTemplate } from '../core/key-template';
import type { PreloadKeyResult, PreloadSourceName, PreloadSourceResult, PreloadUserResult } from './user-definitions';
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
 * Retries and timeouts of the preload activities, in one place. A login waits on these, so retries
 * are few and quick; the loader's own timeout fires first.
 */
function preloadActivityOptions(loader: LoaderSpec): ActivityOptions {
  const loaderTimeoutSeconds = loader.timeoutSeconds ?? 30;
  return {
    startToCloseTimeout: `${loaderTimeoutSeconds + 30}s`,
    heartbeatTimeout: '20s',
    scheduleToCloseTimeout: '2m',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
  };
}

function activitiesFor(loader: LoaderSpec) {
  return proxyActivities<Activities>(preloadActivityOptions(loader));
}

export async function preloadUserWorkflow(input: PreloadUserInput): Promise<PreloadUserResult> {
  const { userId, settings, reservedPrefix } = input;
  const preloadForms = input.preloadForms ?? true;
  const startedMs = Date.now();
  const tags = [`user:${userId}`];
  const source = `user:${userId}`;

  /** Writes one key through warmKey; never throws (except on cancellation). */
  async function warm(
    loader: LoaderSpec,
    keyTemplate: string,
    ttlSeconds: number,
    vars: Record<string, string>,
  ): Promise<PreloadKeyResult> {
    const started = Date.now();
    let cacheKey = keyTemplate;
    try {
      cacheKey = expandTemplate(keyTemplate, vars);
      if (cacheKey.startsWith(reservedPrefix)) {
        throw ApplicationFailure.nonRetryable(`key is under the reserved prefix "${reservedPrefix}"`);
      }
      const result = await activitiesFor(loader).warmKey({ cacheKey, loader, ttlSeconds, tags, source, vars });
      return {
        cacheKey,
        ok: true,
        written: result.written,
        sizeBytes: result.sizeBytes,
        durationMs: Date.now() - started,
      };
    } catch (err) {
      if (isCancellation(err)) throw err;
      return { cacheKey, ok: false, durationMs: Date.now() - started, error: describeFailure(err) };
    }
  }

  async function single(name: 'session' | 'navigation'): Promise<PreloadSourceResult | undefined> {
    const spec = settings[name];
    if (!spec) return undefined;
    const key = await warm(spec.loader, spec.key, spec.ttlSeconds, { userId });
    return {
      source: name,
      ok: key.ok,
      durationMs: key.durationMs,
      keys: [key],
      ...(key.error ? { error: key.error } : {}),
    };
  }

  async function forms(): Promise<PreloadSourceResult | undefined> {
    const spec = settings.forms;
    if (!spec || !preloadForms) return undefined;
    const started = Date.now();
    let formIds: string[];
    try {
      ({ formIds } = await activitiesFor(spec.list).listUserForms({ loader: spec.list, userId, max: spec.max }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      return { source: 'forms', ok: false, durationMs: Date.now() - started, keys: [], error: describeFailure(err) };
    }
    const keys = await Promise.all(
      formIds.map(async (formId) => ({
        formId,
        ...(await warm(spec.item, spec.key, spec.ttlSeconds, { userId, formId })),
      })),
    );
    const failed = keys.filter((key) => !key.ok);
    return {
      source: 'forms',
      ok: failed.length === 0,
      durationMs: Date.now() - started,
      keys,
      formIds,
      ...(failed.length > 0
        ? { error: `${failed.length} of ${keys.length} forms failed; first: ${failed[0]?.error ?? 'unknown'}` }
        : {}),
    };
  }

  const settled = await Promise.all([single('session'), single('navigation'), forms()]);
  const sources = settled.filter((result): result is PreloadSourceResult => result !== undefined);
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

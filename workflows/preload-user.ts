// preloadUserWorkflow: one login's preload, a child of the user's session workflow. Session,
// navigation and forms load in parallel, each through its own activities (all of a login's forms in
// one warmUserForms), so a failing source never stops the others. Returns metadata only: ids,
// keys, sizes and timings, never user data.
import { ApplicationFailure, isCancellation, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import type { FormRetryPolicy } from '../activities/user-preload-activities';
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
 * How every load of a preload is retried: by Temporal for the session, navigation and list
 * activities, and by warmUserForms itself for each form. A login waits on these, so retries are few
 * and quick.
 */
const LOAD_RETRY: FormRetryPolicy = {
  maximumAttempts: 3,
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 5_000,
};

/** Forms of one login loading at once inside warmUserForms (the per-origin limiter still applies). */
const FORMS_CONCURRENCY = 5;

/**
 * Retries and timeouts of the preload activities, in one place. The loader's own timeout fires
 * first.
 */
function preloadActivityOptions(loader: LoaderSpec): ActivityOptions {
  const loaderTimeoutSeconds = loader.timeoutSeconds ?? 30;
  return {
    startToCloseTimeout: `${loaderTimeoutSeconds + 30}s`,
    heartbeatTimeout: '20s',
    scheduleToCloseTimeout: '2m',
    retry: {
      initialInterval: LOAD_RETRY.initialIntervalMs,
      backoffCoefficient: LOAD_RETRY.backoffCoefficient,
      maximumInterval: LOAD_RETRY.maximumIntervalMs,
      maximumAttempts: LOAD_RETRY.maximumAttempts,
    },
  };
}

/**
 * Seconds warmUserForms may take for `forms` forms: every round of `concurrency` forms may use all
 * its attempts at the loader's timeout plus the waits between them, then 30 s for the write and
 * slack. Temporal retries the whole activity only when it is lost (a worker crash is noticed by the
 * heartbeat timeout); per-form failures are retried inside it and reported, not thrown.
 */
export function warmUserFormsTimeoutSeconds(
  loaderTimeoutSeconds: number,
  forms: number,
  concurrency: number,
  retry: FormRetryPolicy,
): number {
  let waitsMs = 0;
  for (let attempt = 1; attempt < retry.maximumAttempts; attempt++) {
    waitsMs += Math.min(retry.maximumIntervalMs, retry.initialIntervalMs * retry.backoffCoefficient ** (attempt - 1));
  }
  const perFormSeconds = retry.maximumAttempts * loaderTimeoutSeconds + Math.ceil(waitsMs / 1000);
  return Math.max(1, Math.ceil(forms / concurrency)) * perFormSeconds + 30;
}

function warmUserFormsOptions(loader: LoaderSpec, forms: number): ActivityOptions {
  const seconds = warmUserFormsTimeoutSeconds(loader.timeoutSeconds ?? 30, forms, FORMS_CONCURRENCY, LOAD_RETRY);
  // No schedule-to-close: the per-load policy bounds the work; Temporal's attempts only cover a lost worker.
  const { scheduleToCloseTimeout: _perActivity, ...options } = preloadActivityOptions(loader);
  return { ...options, startToCloseTimeout: `${seconds}s` };
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

  /** All forms in one warmUserForms activity: a result per form id, in order; throws only on cancellation. */
  async function warmForms(
    spec: NonNullable<UserPreloadSpec['forms']>,
    formIds: string[],
  ): Promise<PreloadKeyResult[]> {
    if (formIds.length === 0) return [];
    const started = Date.now();
    try {
      const { forms } = await proxyActivities<Activities>(
        warmUserFormsOptions(spec.item, formIds.length),
      ).warmUserForms({
        userId,
        loader: spec.item,
        keyTemplate: spec.key,
        ttlSeconds: spec.ttlSeconds,
        tags,
        source,
        reservedPrefix,
        formIds,
        concurrency: FORMS_CONCURRENCY,
        retry: LOAD_RETRY,
      });
      return forms.map((form) => ({
        formId: form.formId,
        cacheKey: form.cacheKey,
        ok: form.ok,
        ...(form.written !== undefined ? { written: form.written } : {}),
        ...(form.sizeBytes !== undefined ? { sizeBytes: form.sizeBytes } : {}),
        durationMs: form.durationMs,
        ...(form.error !== undefined ? { error: form.error } : {}),
      }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = describeFailure(err);
      const durationMs = Date.now() - started;
      return formIds.map((formId) => {
        let cacheKey = spec.key;
        try {
          cacheKey = expandTemplate(spec.key, { userId, formId });
        } catch {
          // The template's own problem; the activity's failure is the one to report.
        }
        return { formId, cacheKey, ok: false, durationMs, error };
      });
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
    const keys = await warmForms(spec, formIds);
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

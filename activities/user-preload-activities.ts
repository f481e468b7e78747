// Activities of the user preload besides warmKey: reading the applied user-preload settings,
// listing a user's most recent forms and warming them all in one activity. Built by a factory that
// receives its dependencies.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { formatZodError, userPreloadSchema, type LoaderSpec, type UserPreloadSpec } from '../core/config-schema';
import { expandTemplate } from '../core/key-template';
import { mapLimit } from '../core/map-limit';
import { parseFormsList, pickRecentForms } from '../core/recent-forms';
import { userIdProblem } from '../core/user-login';
import type { CacheStore, WriteEntry, WriteOutcome } from './cache-store';
import { FailureTypes, type Loaders } from './loaders';
import { recordWarmMetrics } from './warm-metrics';

/** As warmKey's: well inside the 20 s heartbeat timeout of the preload's activities. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Where the config `warmctl apply` stored is read from (Redis key `<prefix>config` in the worker). */
export interface AppliedConfigReader {
  /** The applied config as JSON, or null when none was applied. */
  readAppliedConfig(): Promise<string | null>;
  /** Everything under this prefix belongs to the system; preloads never write there. */
  readonly reservedPrefix: string;
}

export interface UserPreloadActivityDeps {
  loaders: Loaders;
  /** Where warmUserForms writes; without it, warmUserForms fails saying the worker was built without one. */
  store?: CacheStore;
  /** Without it, readUserPreloadSettings fails saying the worker was built without one. */
  appliedConfig?: AppliedConfigReader;
}

/** The applied `userPreload` section (settings only: metadata, fine in workflow history). */
export interface UserPreloadSettings {
  preload: UserPreloadSpec;
  reservedPrefix: string;
}

export interface ListUserFormsInput {
  /** The `forms.list` loader; its templates may use `{userId}`. */
  loader: LoaderSpec;
  userId: string;
  /** How many of the most recent forms to return. */
  max: number;
}

/** Form ids only: the list itself (titles, contents) never leaves the activity. */
export interface ListUserFormsResult {
  /** The `max` most recent form ids, most recent first. */
  formIds: string[];
  /** How many entries the list had. */
  listed: number;
  sizeBytes: number;
  durationMs: number;
}

/**
 * How warmUserForms retries one form's transient failure (and the pipelined write) inside the
 * activity: the policy Temporal applied to each form's own activity before forms were batched.
 */
export interface FormRetryPolicy {
  /** Attempts in all, the first included; at least 1. */
  maximumAttempts: number;
  /** Wait before the second attempt, in ms. */
  initialIntervalMs: number;
  /** Each further wait is the previous one times this; at least 1. */
  backoffCoefficient: number;
  /** Longest wait between two attempts, in ms. */
  maximumIntervalMs: number;
}

export interface WarmUserFormsInput {
  userId: string;
  /** The forms `item` loader; its templates may use `{userId}` and `{formId}`. */
  loader: LoaderSpec;
  /** The forms key template (`form:{formId}`), expanded with `{userId}` and `{formId}`. */
  keyTemplate: string;
  ttlSeconds: number;
  tags: readonly string[];
  /** `user:<id>`, stored in each key's metadata. */
  source: string;
  /** A key that expands under this prefix is refused (a failure of that form). */
  reservedPrefix: string;
  /** The forms to warm, most recent first; the results come back in this order. */
  formIds: readonly string[];
  /** Forms loading at once (the per-origin limiter still applies); a positive integer. */
  concurrency: number;
  retry: FormRetryPolicy;
}

/** One form of a warmUserForms call: metadata only, never the value. */
export interface WarmUserFormResult {
  formId: string;
  /** The expanded key (the template itself when it could not be expanded). */
  cacheKey: string;
  ok: boolean;
  /** False when a newer value was already stored and kept. Set when ok. */
  written?: boolean;
  /** Set when ok. */
  sizeBytes?: number;
  /** From the form's first load attempt to its write (or its failure). */
  durationMs: number;
  /** Why the form failed, as `<failure type>: <message>`. */
  error?: string;
}

export interface WarmUserFormsResult {
  /** One per form id, in input order. */
  forms: WarmUserFormResult[];
  durationMs: number;
}

/** Wait after failed attempt `attempt` (1-based) before the next one, in ms. */
export function retryDelayMs(policy: FormRetryPolicy, attempt: number): number {
  return Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** (attempt - 1));
}

/** Whether Temporal would retry this failure: everything except a non-retryable ApplicationFailure. */
export function isRetryableFailure(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable);
}

/**
 * One line for a failure, as the workflow's describeFailure words the same failure coming back
 * from an activity (`<type>: <message>`; Temporal types a plain error by its name).
 */
export function describeLoadFailure(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.type ? `${err.type}: ${err.message}` : err.message;
  if (err instanceof Error) return err.name ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/**
 * Runs `attempt` until it succeeds, fails with a failure `retryable` refuses, or has run
 * `policy.maximumAttempts` times; waits `retryDelayMs` between attempts through `wait`.
 */
export async function withRetries<T>(
  policy: FormRetryPolicy,
  attempt: (attempt: number) => Promise<T>,
  options: { retryable: (err: unknown) => boolean; wait: (ms: number) => Promise<void> },
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= policy.maximumAttempts || !options.retryable(err)) throw err;
      await options.wait(retryDelayMs(policy, n));
    }
  }
}

/** A form after its loads: the entry to write, or why it failed. */
interface LoadedForm {
  formId: string;
  cacheKey: string;
  formStarted: number;
  entry?: WriteEntry;
  failed?: WarmUserFormResult;
}

/** Why `input` is not a valid warmUserForms input, naming the field; undefined when it is. */
export function warmUserFormsInputProblem(input: WarmUserFormsInput): string | undefined {
  const problem = userIdProblem(input.userId);
  if (problem) return problem;
  if (!Array.isArray(input.formIds)) return 'formIds must be an array';
  const badId = input.formIds.findIndex((id) => typeof id !== 'string' || id === '');
  if (badId >= 0) return `formIds[${badId}] must be a non-empty string`;
  if (typeof input.keyTemplate !== 'string' || input.keyTemplate === '')
    return 'keyTemplate must be a non-empty string';
  if (typeof input.reservedPrefix !== 'string') return 'reservedPrefix must be a string';
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1)
    return `ttlSeconds must be a positive integer (got ${input.ttlSeconds})`;
  if (!Number.isInteger(input.concurrency) || input.concurrency < 1)
    return `concurrency must be a positive integer (got ${input.concurrency})`;
  const retry = input.retry as Partial<FormRetryPolicy> | undefined;
  if (!retry || !Number.isInteger(retry.maximumAttempts) || (retry.maximumAttempts as number) < 1)
    return `retry.maximumAttempts must be a positive integer (got ${retry?.maximumAttempts})`;
  for (const field of ['initialIntervalMs', 'maximumIntervalMs'] as const) {
    const value = retry[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      return `retry.${field} must be a number of ms, at least 0 (got ${value})`;
  }
  if (typeof retry.backoffCoefficient !== 'number' || !(retry.backoffCoefficient >= 1))
    return `retry.backoffCoefficient must be at least 1 (got ${retry.backoffCoefficient})`;
  return undefined;
}

/** Failure types of these activities, for retry policies and callers. */
export const UserPreloadFailureTypes = {
  notConfigured: 'UserPreloadNotConfigured',
  badConfig: 'UserPreloadBadConfig',
} as const;

export function createUserPreloadActivities(deps: UserPreloadActivityDeps) {
  const { loaders, appliedConfig, store } = deps;

  return {
    /** The `userPreload` section of the applied config; fails without retry when there is none. */
    async readUserPreloadSettings(): Promise<UserPreloadSettings> {
      if (!appliedConfig) {
        throw ApplicationFailure.nonRetryable(
          'this worker was built without access to the applied config, so user preload is off',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      const text = await appliedConfig.readAppliedConfig();
      if (text === null) {
        throw ApplicationFailure.nonRetryable(
          'no config has been applied: run `warmctl apply` with a userPreload section',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      let config: unknown;
      try {
        config = JSON.parse(text);
      } catch {
        throw ApplicationFailure.nonRetryable(
          'the applied config is not valid JSON',
          UserPreloadFailureTypes.badConfig,
        );
      }
      const section =
        typeof config === 'object' && config !== null ? (config as Record<string, unknown>).userPreload : undefined;
      if (section === undefined) {
        throw ApplicationFailure.nonRetryable(
          'the applied config has no userPreload section: add one and run `warmctl apply`',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      const parsed = userPreloadSchema.safeParse(section);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `the applied config is invalid: ${formatZodError(parsed.error, 'userPreload')}`,
          UserPreloadFailureTypes.badConfig,
        );
      }
      return { preload: parsed.data, reservedPrefix: appliedConfig.reservedPrefix };
    },

    /** Loads a user's forms list and returns the ids of the `max` most recent forms. */
    async listUserForms(input: ListUserFormsInput): Promise<ListUserFormsResult> {
      const problem = userIdProblem(input.userId);
      if (problem) throw ApplicationFailure.nonRetryable(problem, FailureTypes.badInput);
      if (!Number.isInteger(input.max) || input.max < 1) {
        throw ApplicationFailure.nonRetryable(
          `max must be a positive integer (got ${input.max})`,
          FailureTypes.badInput,
        );
      }
      const context = Context.current();
      const started = Date.now();
      // Beat while the origin thinks, not only per body chunk: a list slower than the heartbeat
      // timeout would otherwise be timed out on a live worker and loaded twice.
      const beat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      let body: Buffer | string;
      try {
        body = await loaders.load({
          spec: input.loader,
          vars: { userId: input.userId },
          signal: context.cancellationSignal,
          heartbeat: () => context.heartbeat(),
        });
      } finally {
        clearInterval(beat);
      }
      const text = typeof body === 'string' ? body : body.toString('utf8');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw ApplicationFailure.nonRetryable('forms list is not JSON', FailureTypes.badLoaderResult);
      }
      let formIds: string[];
      let listed: number;
      try {
        const entries = parseFormsList(raw);
        listed = entries.length;
        formIds = pickRecentForms(entries, input.max);
      } catch (err) {
        throw ApplicationFailure.nonRetryable((err as Error).message, FailureTypes.badLoaderResult);
      }
      return {
        formIds,
        listed,
        sizeBytes: typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        durationMs: Date.now() - started,
      };
    },

    /**
     * Loads every form (`concurrency` at once, through the loaders so the per-origin limits and
     * size cap apply), retrying a form's transient failure by `retry`, and writes the loaded values
     * in one pipelined round trip, each versioned by the start of its successful load. A form that
     * fails is reported in its result; the activity itself fails only on cancellation or bad input.
     */
    async warmUserForms(input: WarmUserFormsInput): Promise<WarmUserFormsResult> {
      const problem = warmUserFormsInputProblem(input);
      if (problem) throw ApplicationFailure.nonRetryable(problem, FailureTypes.badInput);
      if (!store) {
        throw ApplicationFailure.nonRetryable(
          'this worker was built without a cache store, so forms cannot be warmed',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      const context = Context.current();
      const started = Date.now();
      let done = 0;
      const heartbeat = () => context.heartbeat(done);
      // Beat while origins think, not only per body chunk, as listUserForms does.
      const beat = setInterval(heartbeat, HEARTBEAT_EVERY_MS);
      const retrying = {
        retryable: (err: unknown) => !context.cancellationSignal.aborted && isRetryableFailure(err),
        wait: (ms: number) => context.sleep(ms),
      };
      try {
        const loaded = await mapLimit(input.formIds, input.concurrency, async (formId): Promise<LoadedForm> => {
          const formStarted = Date.now();
          let cacheKey = input.keyTemplate;
          try {
            const vars = { userId: input.userId, formId };
            cacheKey = expandTemplate(input.keyTemplate, vars);
            if (cacheKey.startsWith(input.reservedPrefix)) {
              throw ApplicationFailure.nonRetryable(`key is under the reserved prefix "${input.reservedPrefix}"`);
            }
            const entry = await withRetries(
              input.retry,
              async () => {
                const loadStarted = Date.now();
                const value = await loaders.load({
                  spec: input.loader,
                  vars,
                  signal: context.cancellationSignal,
                  heartbeat,
                });
                const entry: WriteEntry = {
                  key: cacheKey,
                  value,
                  ttlSeconds: input.ttlSeconds,
                  version: loadStarted,
                  durationMs: Date.now() - loadStarted,
                  source: input.source,
                  tags: input.tags,
                };
                return entry;
              },
              retrying,
            );
            return { formId, cacheKey, formStarted, entry };
          } catch (err) {
            if (context.cancellationSignal.aborted) throw err;
            const failed: WarmUserFormResult = {
              formId,
              cacheKey,
              ok: false,
              durationMs: Date.now() - formStarted,
              error: describeLoadFailure(err),
            };
            return { formId, cacheKey, formStarted, failed };
          } finally {
            done++;
            heartbeat();
          }
        });

        const entries = loaded.flatMap((form) => (form.entry ? [form.entry] : []));
        let outcomes: WriteOutcome[] = [];
        let writeError: string | undefined;
        if (entries.length > 0) {
          try {
            outcomes = await withRetries(input.retry, () => store.writeManyIfNewer(entries), retrying);
          } catch (err) {
            if (context.cancellationSignal.aborted) throw err;
            writeError = describeLoadFailure(err);
          }
        }
        const written = Date.now();
        let next = 0;
        const forms = loaded.map((form): WarmUserFormResult => {
          if (!form.entry) return form.failed as WarmUserFormResult;
          const { formId, cacheKey, entry } = form;
          const durationMs = written - form.formStarted;
          if (writeError !== undefined) return { formId, cacheKey, ok: false, durationMs, error: writeError };
          const outcome = outcomes[next++];
          const sizeBytes = typeof entry.value === 'string' ? Buffer.byteLength(entry.value) : entry.value.length;
          return { formId, cacheKey, ok: true, written: outcome?.written ?? false, sizeBytes, durationMs };
        });
        // The same counters warmKey records, one attempt per form, so dashboards see every user warm.
        for (const form of forms) {
          const outcome = !form.ok ? 'failed' : form.written ? 'written' : 'superseded';
          recordWarmMetrics(context, input.source, outcome, form.durationMs, form.written ? form.sizeBytes : 0);
        }
        return { forms, durationMs: Date.now() - started };
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type UserPreloadActivities = ReturnType<typeof createUserPreloadActivities>;

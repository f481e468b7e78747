// The preloadUser activity: one login's session, navigation and most recent forms loaded in
// parallel under their keys' single-flight claims, with retries and a shedding deadline, and
// written versioned by their loads' starts; returns metadata only.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LoaderSpec, UserPreloadSpec } from '../core/config-schema';
import { expandTemplate } from '../core/key-template';
import { withRetries } from '../core/load-retry';
import { mapLimit } from '../core/map-limit';
import { parseFormsList, pickRecentForms } from '../core/recent-forms';
import type { WriteEntry, WriteOutcome } from '../store/cache-store';
import { CACHE_CLIENT_SOURCE } from '../store/cache-store';
import { claimLoad, type HeldClaim } from './load-claim';
import { startHeartbeat } from './heartbeats';
import type { PreloadKeyResult, PreloadSourceName, PreloadSourceResult } from '../core/preload-results';
import { checkCacheKey, permanentKeyRefusal } from './cache-key-check';
import { reservedKeyMessage } from '../core/cache-key';
import { FailureTypes } from './loaders';
import { recordWarmMetrics } from './warm-metrics';
import { describeLoadFailure, isRetryableFailure, isShed } from './load-failure';
import { parsePreloadUserInput, type PreloadUserInput } from './preload-user-input';
import type { UserPreloadActivityDeps } from './user-preload-activity-deps';
import { readUserPreloadSettings, UserPreloadFailureTypes, type UserPreloadSettings } from './user-preload-settings';

/**
 * A key a cache client computed less than this long before a preload claims it is not loaded
 * again: it was loaded around the login, most often by the user's own first read. Long enough for
 * a login burst, where a preload may start seconds after its user's first read (2 s left 3 of 50
 * sessions of a burst loaded twice), short beside any TTL.
 */
export const FRESH_MS = 10_000;

/** Every configured source of one preload, in the order session, navigation, forms: metadata only. */
export interface PreloadUserActivityResult {
  sources: PreloadSourceResult[];
  durationMs: number;
  /** The settings this preload ran with, when it read them itself: what the login's receiver needs. */
  applied?: AppliedPreloadTimes;
  /** Configured sources left out on purpose (forms with `preloadForms: false`), when it read the settings. */
  skipped?: PreloadSourceName[];
}

/** The parts of the applied `userPreload` section that decide when a user is preloaded again. */
export interface AppliedPreloadTimes {
  skipIfWarmedWithinMinutes: number;
  idleMinutes: number;
}

/** Ids of the `max` most recent forms in a forms list; a malformed list fails without retry. */
function recentFormIds(body: Buffer | string, max: number): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw ApplicationFailure.nonRetryable('forms list is not JSON', FailureTypes.badLoaderResult);
  }
  try {
    return pickRecentForms(parseFormsList(raw), max);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, FailureTypes.badLoaderResult);
  }
}

function sizeOf(value: Buffer | string): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** A key after its load: the entry to write (and its claim, released once written), or why it failed. */
interface LoadedKey {
  result: PreloadKeyResult;
  started: number;
  entry?: WriteEntry;
  claim?: HeldClaim;
}

/**
 * One login's preload: session, navigation and forms load in parallel, each load through the
 * loaders (so the per-origin limits and size cap apply) and retried by `retry` on a transient
 * failure. Session and navigation are written as soon as each is loaded; the forms list is
 * loaded, the most recent forms `formsConcurrency` at a time, and all of them written in one
 * pipelined round trip. Every write is versioned by the start of its successful load. A failed
 * load or write is reported in its source's result and never stops the other sources; the
 * activity itself fails only on cancellation or bad input.
 */
export async function preloadUser(
  deps: UserPreloadActivityDeps,
  rawInput: PreloadUserInput,
): Promise<PreloadUserActivityResult> {
  const { loaders, appliedConfig, store } = deps;
  // Parsed once, and only the parsed input used: settings sent in it get the schema's defaults.
  const { input, problem } = parsePreloadUserInput(rawInput);
  if (problem !== undefined) throw ApplicationFailure.nonRetryable(problem, FailureTypes.badInput);
  if (!store) {
    throw ApplicationFailure.nonRetryable(
      'this worker was built without a cache store, so users cannot be preloaded',
      UserPreloadFailureTypes.notConfigured,
    );
  }
  const cacheStore = store;
  const { userId, retry } = input;
  // Without settings in the input, the applied config decides, read at this login.
  const applied = input.settings === undefined ? await readUserPreloadSettings(appliedConfig) : undefined;
  const settings = input.settings ?? (applied as UserPreloadSettings).preload;
  // Every prefix anyone named is refused: the input's cannot lift the worker's.
  const reservedPrefixes = [
    deps.reservedPrefix,
    appliedConfig?.reservedPrefix,
    applied?.reservedPrefix,
    input.reservedPrefix,
  ].filter((prefix): prefix is string => typeof prefix === 'string' && prefix !== '');
  if (input.settings !== undefined) {
    // Settings sent in the input (0.1 sessions, or a start by hand) are input: a key template
    // under the reserved prefix is refused whole, naming it, before anything loads.
    for (const name of ['session', 'navigation', 'forms'] as const) {
      const template = settings[name]?.key;
      const reserved = reservedPrefixes.find((prefix) => template?.startsWith(prefix));
      if (template !== undefined && reserved !== undefined) {
        throw ApplicationFailure.nonRetryable(
          `settings.${name}.key: ${reservedKeyMessage(template, reserved)}`,
          FailureTypes.badInput,
        );
      }
    }
  }
  const tags = [`user:${userId}`];
  const source = `user:${userId}`;
  const context = Context.current();
  const started = Date.now();
  let done = 0;
  // Beat while origins think, not only per body chunk: a load slower than the heartbeat
  // timeout would otherwise be timed out on a live worker and the whole preload run twice.
  const { beat: heartbeat, stop: stopBeating } = startHeartbeat(context, () => done);
  const retrying = {
    retryable: (err: unknown) => !context.cancellationSignal.aborted && isRetryableFailure(err),
    wait: (ms: number) => context.sleep(ms),
  };
  const rethrowIfCancelled = (err: unknown) => {
    if (context.cancellationSignal.aborted) throw err;
  };
  // Latency-bound: loads still waiting for their origin at the deadline are shed, not started late.
  const startBy = started + settings.shedAfterSeconds * 1000;
  const shedding = { priority: 'login' as const, startBy };

  /** Loads one key with retries under its single-flight claim; never throws except on cancellation. */
  const load = async (
    loader: LoaderSpec,
    keyTemplate: string,
    ttlSeconds: number,
    vars: Record<string, string>,
  ): Promise<LoadedKey> => {
    const keyStarted = Date.now();
    let cacheKey = keyTemplate;
    const formId = vars.formId ? { formId: vars.formId } : {};
    try {
      cacheKey = expandTemplate(keyTemplate, vars);
      // Before the load: a key that may not be written fails alone, for good, loading nothing.
      checkCacheKey(cacheKey, reservedPrefixes);
      const claim = await withRetries(
        retry,
        () =>
          claimLoad(cacheStore, cacheKey, {
            signal: context.cancellationSignal,
            maxWaitMs: Math.max(0, startBy - Date.now()),
            // Loaded a moment ago by a reader's miss (most often the user's own first request):
            // as fresh as this load would be. A preload's own earlier value is reloaded: a
            // forced login asks for exactly that.
            joinRecent: { source: CACHE_CLIENT_SOURCE, withinMs: FRESH_MS },
          }),
        retrying,
      );
      if (claim.joined) {
        const result = { cacheKey, ok: true, written: false, joined: true as const, durationMs: 0, ...formId };
        return { result, started: keyStarted };
      }
      try {
        const entry = await withRetries(
          retry,
          async (): Promise<WriteEntry> => {
            const loadStarted = Date.now();
            // A retry's version is its own start on the store's clock, as the first attempt's was.
            const version = claim.clock();
            const value = await loaders.load({
              spec: loader,
              vars,
              signal: context.cancellationSignal,
              heartbeat,
              ...shedding,
            });
            return {
              key: cacheKey,
              value,
              ttlSeconds,
              version,
              durationMs: Date.now() - loadStarted,
              source,
              tags,
            };
          },
          retrying,
        );
        return { result: { cacheKey, ok: true, durationMs: 0, ...formId }, started: keyStarted, entry, claim };
      } catch (err) {
        await claim.release();
        throw err;
      }
    } catch (err) {
      rethrowIfCancelled(err);
      const result: PreloadKeyResult = {
        ...formId,
        cacheKey,
        ok: false,
        durationMs: Date.now() - keyStarted,
        error: describeLoadFailure(err),
        ...(isShed(err) ? { shed: true as const } : {}),
      };
      return { result, started: keyStarted };
    } finally {
      done++;
      heartbeat();
    }
  };

  /** Writes the loaded keys in one round trip (with retries) and completes their results. */
  const write = async (keys: LoadedKey[]): Promise<PreloadKeyResult[]> => {
    const entries = keys.flatMap((key) => (key.entry ? [key.entry] : []));
    let outcomes: WriteOutcome[] = [];
    let writeError: string | undefined;
    if (entries.length > 0) {
      try {
        outcomes = await withRetries(
          retry,
          () =>
            cacheStore.writeManyIfNewer(entries).catch((err: unknown) => {
              throw permanentKeyRefusal(err);
            }),
          retrying,
        );
      } catch (err) {
        rethrowIfCancelled(err);
        writeError = describeLoadFailure(err);
      } finally {
        await Promise.all(keys.map((key) => key.claim?.release()));
      }
    }
    const written = Date.now();
    let next = 0;
    const results = keys.map(({ result, started: keyStarted, entry }): PreloadKeyResult => {
      if (!entry) return result;
      const durationMs = written - keyStarted;
      if (writeError !== undefined) return { ...result, ok: false, durationMs, error: writeError };
      const outcome = outcomes[next++];
      return { ...result, written: outcome?.written ?? false, sizeBytes: sizeOf(entry.value), durationMs };
    });
    // The counters warmKey records, one attempt per key, so dashboards see every user warm.
    for (const key of results) {
      const outcome = key.shed
        ? 'shed'
        : !key.ok
          ? 'failed'
          : key.joined
            ? 'joined'
            : key.written
              ? 'written'
              : 'superseded';
      recordWarmMetrics(context, source, outcome, key.durationMs, key.written ? (key.sizeBytes ?? 0) : 0);
    }
    return results;
  };

  const single = async (
    name: 'session' | 'navigation',
    spec: NonNullable<UserPreloadSpec['session']>,
  ): Promise<PreloadSourceResult> => {
    const sourceStarted = Date.now();
    const [key] = await write([await load(spec.loader, spec.key, spec.ttlSeconds, { userId })]);
    const result = key as PreloadKeyResult;
    return {
      source: name,
      ok: result.ok,
      durationMs: Date.now() - sourceStarted,
      keys: [result],
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
  };

  const forms = async (spec: NonNullable<UserPreloadSpec['forms']>): Promise<PreloadSourceResult> => {
    const sourceStarted = Date.now();
    let formIds: string[];
    try {
      formIds = await withRetries(
        retry,
        async () =>
          recentFormIds(
            await loaders.load({
              spec: spec.list,
              vars: { userId },
              signal: context.cancellationSignal,
              heartbeat,
              ...shedding,
            }),
            spec.max,
          ),
        retrying,
      );
    } catch (err) {
      rethrowIfCancelled(err);
      const error = describeLoadFailure(err);
      return {
        source: 'forms',
        ok: false,
        durationMs: Date.now() - sourceStarted,
        keys: [],
        error,
        ...(isShed(err) ? { shed: true as const } : {}),
      };
    }
    const loaded = await mapLimit(formIds, input.formsConcurrency, (formId) =>
      load(spec.item, spec.key, spec.ttlSeconds, { userId, formId }),
    );
    const keys = await write(loaded);
    const failed = keys.filter((key) => !key.ok);
    return {
      source: 'forms',
      ok: failed.length === 0,
      durationMs: Date.now() - sourceStarted,
      keys,
      formIds,
      ...(failed.length > 0
        ? { error: `${failed.length} of ${keys.length} forms failed; first: ${failed[0]?.error ?? 'unknown'}` }
        : {}),
    };
  };

  try {
    const runs: Promise<PreloadSourceResult>[] = [];
    if (settings.session) runs.push(single('session', settings.session));
    if (settings.navigation) runs.push(single('navigation', settings.navigation));
    if (settings.forms && input.preloadForms) runs.push(forms(settings.forms));
    return {
      sources: await Promise.all(runs),
      durationMs: Date.now() - started,
      ...(applied
        ? {
            applied: {
              skipIfWarmedWithinMinutes: settings.skipIfWarmedWithinMinutes,
              idleMinutes: settings.idleMinutes,
            },
            skipped: settings.forms && !input.preloadForms ? ['forms' as const] : [],
          }
        : {}),
    };
  } finally {
    stopBeating();
  }
}

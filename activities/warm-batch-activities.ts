// The optimiser's batch warming: a pattern's template looked up in the applied config, and a
// batch of its keys loaded (per-origin limits apply) and written in one pipelined round trip.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { setMaxListeners } from 'node:events';
import type { LoaderSpec } from '../core/config-schema';
import { cacheKeyProblem } from '../core/cache-key';
import { expandTemplate } from '../core/key-template';
import { mapLimit } from '../core/map-limit';
import type { WriteEntry } from '../store/cache-store';
import { versionClock, type VersionClock } from '../store/version-clock';
import { readAppliedWarmingConfig } from './applied-warming-config';
import { checkCacheKey, permanentKeyRefusal } from './cache-key-check';
import { FailureTypes } from './loaders';
import type { OptimizerActivityDeps } from './optimizer-activity-deps';
import { startHeartbeat } from './heartbeats';

/** A batch of keys built from one template: what warmBatch loads and writes. */
export interface WarmBatchInput {
  template: { key: string; loader: LoaderSpec; ttlSeconds: number; tags: readonly string[]; source: string };
  vars: Record<string, string>[];
  /** Loads in flight within the batch (the per-origin cap still applies). Default 32. */
  concurrency?: number;
}

export interface WarmBatchResult {
  total: number;
  written: number;
  superseded: number;
  failed: number;
  /** The first few failures, for people. */
  failures: { key: string; error: string }[];
  bytes: number;
  loadMs: number;
  writeMs: number;
  durationMs: number;
}

const MAX_REPORTED_FAILURES = 10;
/**
 * The least time between two heartbeats a batch sends as its loads progress, in ms. Each one the
 * SDK encodes and hands to Temporal Core (about 50 µs of worker CPU, a fifth of a bulk warm's CPU
 * when every load beat twice), and Core sends at most one per 80 % of the 30 s heartbeat timeout.
 */
const HEARTBEAT_GAP_MS = 1_000;

export function createWarmBatchActivities(deps: Pick<OptimizerActivityDeps, 'redis' | 'keys' | 'store' | 'loaders'>) {
  const { keys, store, loaders } = deps;

  return {
    /** The pattern's template for a batch (looked up in the applied config by index). */
    async patternTemplate(patternIndex: number): Promise<WarmBatchInput['template']> {
      const config = await readAppliedWarmingConfig(deps);
      const pattern = config?.patterns[patternIndex];
      if (!pattern)
        throw ApplicationFailure.nonRetryable(
          `pattern ${patternIndex} is not in the applied config`,
          FailureTypes.badInput,
        );
      return {
        key: pattern.match,
        loader: pattern.loader,
        ttlSeconds: pattern.ttlSeconds,
        tags: pattern.tags,
        source: `pattern:${pattern.match}`,
      };
    },

    /**
     * Loads every key of the batch (per-origin limits apply) and writes the loaded values in one
     * pipelined round trip. A key that fails to load is reported, not retried here, and never
     * touches its stored value; a Redis failure fails the batch so Temporal retries it.
     */
    async warmBatch(input: WarmBatchInput): Promise<WarmBatchResult> {
      const context = Context.current();
      const started = Date.now();
      const concurrency = input.concurrency ?? 32;
      // Each load in flight follows the activity's cancellation with one listener, removed when it
      // ends: up to `concurrency` at once by design, not a leak, so no MaxListenersExceededWarning.
      setMaxListeners(concurrency + 1, context.cancellationSignal);
      // A template whose every key would be refused fails the batch for good; a key that only
      // its values make unwritable fails alone, unloaded, and the rest of the batch goes on.
      checkCacheKey(input.template.key, [keys.prefix]);
      const failures: { key: string; error: string }[] = [];
      let failed = 0;
      const refuse = (key: string, error: string) => {
        failed++;
        if (failures.length < MAX_REPORTED_FAILURES) failures.push({ key, error });
      };
      const keyed: { key: string; vars: Record<string, string> }[] = [];
      for (const vars of input.vars) {
        let key: string;
        try {
          key = expandTemplate(input.template.key, vars);
        } catch (err) {
          refuse(input.template.key, (err as Error).message);
          continue;
        }
        const problem = cacheKeyProblem(key, [keys.prefix]);
        if (problem) refuse(key, problem);
        else keyed.push({ key, vars });
      }
      let done = input.vars.length - keyed.length;
      // One reading of Redis's clock for the batch (a Redis failure fails the batch, to be retried);
      // each load's version is its own start on that clock.
      const clock: VersionClock = keyed[0] ? await versionClock(store, keyed[0].key) : () => Date.now();
      // Progress as loads end and bodies arrive, at most one beat a HEARTBEAT_GAP_MS.
      const { progress: heartbeat, stop: stopBeating } = startHeartbeat(context, () => done, HEARTBEAT_GAP_MS);
      const loaded = await mapLimit(keyed, concurrency, async ({ key, vars }) => {
        try {
          const version = clock();
          const loadStarted = Date.now();
          const value = await loaders.load({
            spec: input.template.loader,
            vars,
            signal: context.cancellationSignal,
            heartbeat,
            // Batches of pattern and bulk keys wait behind task warms and preloads at a busy origin.
            priority: 'bulk',
          });
          const entry: WriteEntry = {
            key,
            value,
            ttlSeconds: input.template.ttlSeconds,
            version,
            durationMs: Date.now() - loadStarted,
            source: input.template.source,
            tags: input.template.tags,
          };
          return entry;
        } catch (err) {
          if (context.cancellationSignal.aborted) throw err;
          refuse(key, err instanceof Error ? err.message : String(err));
          return undefined;
        } finally {
          done++;
          heartbeat();
        }
      }).finally(stopBeating);
      const entries = loaded.filter((entry): entry is WriteEntry => entry !== undefined);
      const loadEnded = Date.now();
      const outcomes = await store.writeManyIfNewer(entries).catch((err: unknown) => {
        throw permanentKeyRefusal(err);
      });
      const finished = Date.now();
      const written = outcomes.filter((o) => o.written).length;
      return {
        total: input.vars.length,
        written,
        superseded: outcomes.length - written,
        failed,
        failures,
        bytes: entries.reduce(
          (sum, e) => sum + (typeof e.value === 'string' ? Buffer.byteLength(e.value) : e.value.length),
          0,
        ),
        loadMs: loadEnded - started,
        writeMs: finished - loadEnded,
        durationMs: finished - started,
      };
    },
  };
}

// The activity factory: every activity gets its dependencies (store, loaders, limits) from here,
// so tests pass real ones on test ports. Workflows see only the type of what this returns.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LoaderSpec } from '../core/config-schema';
import type { LoaderSecurity } from '../core/loader-security';
import type { CacheStore, WriteOutcome } from '../store/cache-store';
import { claimLoad, type HeldClaim } from './load-claim';
import { startHeartbeat } from './heartbeats';
import { checkCacheKey, permanentKeyRefusal } from './cache-key-check';
import { resolveLimits, type WarmingLimits } from './limits';
import { HttpLoaderClient } from './http-loader-client';
import { FailureTypes, Loaders, type LoaderRegistry } from './loaders';
import { OriginLimiter } from './origin-limiter';
import { recordWarmMetrics } from './warm-metrics';
import { createOptimizerActivities } from './optimizer-activities';
import { createInputActivities } from './input-activities';
import type { RedisKeys } from '../store/redis-keys';
import { RunWarmMarks } from './run-warm-marks';
import type { UsageStore } from '../store/usage-tracker';
import { createUserPreloadActivities, type AppliedConfigReader } from './user-preload-activities';
import type { Cluster, Redis } from 'ioredis';

export interface ActivityDeps {
  store: CacheStore;
  /** Named custom loaders (`{ "type": "custom", "name": ... }`). */
  loaders?: LoaderRegistry;
  limits?: Partial<WarmingLimits>;
  /** Shared per-origin limiter; one is made when absent. */
  limiter?: OriginLimiter;
  /** Where HTTP loaders may go (see `LoaderSecurity` for each default); ignored when `http` is given. */
  loaderSecurity?: Partial<LoaderSecurity>;
  /** Shared HTTP loader client (the policy and the connections); one is made from `loaderSecurity` when absent. */
  http?: HttpLoaderClient;
  /** Reads the applied config for user-preload settings; without it user preload fails, saying so. */
  appliedConfig?: AppliedConfigReader;
  /** The optimiser's view of Redis: applied config, planned intervals, usage counters. */
  optimizer: { redis: Redis | Cluster; keys: RedisKeys; usage: UsageStore };
}

/** One key to warm: where from, where to, for how long. Carries no value. */
export interface WarmKeyInput {
  cacheKey: string;
  loader: LoaderSpec;
  ttlSeconds: number;
  tags: readonly string[];
  /** `task:<id>`, `pattern:<match>` or `user:<id>`; stored in the key's metadata. */
  source: string;
  /** Values for the loader's URL placeholders. */
  vars?: Readonly<Record<string, string>>;
}

/** Metadata about one warm: never the value itself. */
export interface WarmKeyResult {
  cacheKey: string;
  /** False when a newer load had already been stored, so this one was dropped. */
  written: boolean;
  /**
   * True when another holder of the key's single-flight claim (a cache client filling it, another
   * worker) wrote it while this warm waited, so this warm loaded nothing.
   */
  joined?: true;
  version: number;
  sizeBytes: number;
  loadMs: number;
  writeMs: number;
  durationMs: number;
  warmedAt: string;
  attempt: number;
  /** The version this warm replaced and how often it was read: the efficiency signal. */
  replaced?: WriteOutcome['replaced'];
}

/** A warm waits this long at most for another holder of its key's claim, then loads anyway. */
const WARM_CLAIM_WAIT_MS = 10_000;

export function createActivities(deps: ActivityDeps) {
  const limits = resolveLimits(deps.limits);
  const limiter = deps.limiter ?? new OriginLimiter(limits);
  const http = deps.http ?? new HttpLoaderClient(deps.loaderSecurity);
  const loaders = new Loaders({ registry: deps.loaders, limiter, limits, http });
  const { store } = deps;
  // Where the system keeps its own state: no activity writes a value there, whatever it was given.
  const reservedPrefix = deps.optimizer.keys.prefix;
  const marks = new RunWarmMarks(deps.optimizer.redis, deps.optimizer.keys);

  return {
    ...createUserPreloadActivities({ loaders, store, appliedConfig: deps.appliedConfig, reservedPrefix }),
    ...createOptimizerActivities({ ...deps.optimizer, store, loaders }),
    ...createInputActivities({ prefix: deps.optimizer.keys.prefix }),

    /** Loads one key from its origin and writes it with its TTL, unless a newer load got there first. */
    async warmKey(input: WarmKeyInput): Promise<WarmKeyResult> {
      // Before any load: a key that may not be written fails at once, for good, costing the origin nothing.
      checkCacheKey(input.cacheKey, [reservedPrefix]);
      const context = Context.current();
      const { attempt } = context.info;
      if (attempt > 1) {
        // Temporal's retry backoff is exponential but not jittered: spread retries of many warms
        // of the same origin so they do not arrive in lockstep.
        await context.sleep(Math.random() * Math.min(2_000, 200 * 2 ** (attempt - 2)));
      }
      const { beat: heartbeat, stop: stopBeating } = startHeartbeat(context);
      const started = Date.now();
      // Settled (in finally) before this warm returns, so before its marker can reach history.
      const marked = marks.mark(context.info, (message, meta) => context.log.warn(message, meta));
      let claim: HeldClaim | undefined;
      try {
        // The key's single-flight claim: a read missing it meanwhile waits for this load. Its
        // version is Redis's time as the load starts: this worker's clock decides nothing.
        const claimed = await claimLoad(store, input.cacheKey, {
          signal: context.cancellationSignal,
          maxWaitMs: WARM_CLAIM_WAIT_MS,
        });
        if (claimed.joined) {
          const finished = Date.now();
          recordWarmMetrics(context, input.source, 'joined', finished - started);
          return {
            cacheKey: input.cacheKey,
            written: false,
            joined: true,
            version: claimed.storedVersion,
            sizeBytes: 0,
            loadMs: 0,
            writeMs: 0,
            durationMs: finished - started,
            warmedAt: new Date(finished).toISOString(),
            attempt,
          };
        }
        claim = claimed;
        const { version } = claimed;
        const value = await loaders.load({
          spec: input.loader,
          vars: input.vars ?? {},
          signal: context.cancellationSignal,
          heartbeat,
        });
        const loaded = Date.now();
        const outcome = await store
          .writeIfNewer({
            key: input.cacheKey,
            value,
            ttlSeconds: input.ttlSeconds,
            version,
            durationMs: loaded - started,
            source: input.source,
            tags: input.tags,
          })
          .catch((err: unknown) => {
            throw permanentKeyRefusal(err);
          });
        const finished = Date.now();
        const sizeBytes = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
        recordWarmMetrics(
          context,
          input.source,
          outcome.written ? 'written' : 'superseded',
          finished - started,
          outcome.written ? sizeBytes : 0,
        );
        return {
          cacheKey: input.cacheKey,
          written: outcome.written,
          version,
          sizeBytes,
          loadMs: loaded - started,
          writeMs: finished - loaded,
          durationMs: finished - started,
          warmedAt: new Date(finished).toISOString(),
          attempt,
          ...(outcome.replaced ? { replaced: outcome.replaced } : {}),
        };
      } catch (err) {
        recordWarmMetrics(context, input.source, 'failed', Date.now() - started);
        throw err;
      } finally {
        stopBeating();
        await marked;
        await claim?.release();
      }
    },

    /** Deletes every key carrying `tag` (leaving tombstones so in-flight older loads cannot restore them). */
    async invalidateTag(tag: string): Promise<{ tag: string; keys: string[] }> {
      if (typeof tag !== 'string' || tag === '')
        throw ApplicationFailure.nonRetryable('tag must be a non-empty string', FailureTypes.badInput);
      return { tag, keys: await store.invalidateTag(tag) };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

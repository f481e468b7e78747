// Activities of the optimiser: plan adaptive intervals from access frequency, plan hot-key warming
// (core/warm-selection.ts) and find the keys due now, and warm pattern keys in batches with
// pipelined writes.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Cluster, Redis } from 'ioredis';
import { setMaxListeners } from 'node:events';
import { redact } from '../core/redact';
import { parseWarmingConfig, type LoaderSpec, type OptimizerSpec, type WarmingConfig } from '../core/config-schema';
import { intervalForFrequency } from '../core/interval-policy';
import { expandTemplate } from '../core/key-template';
import { keyOwners, type KeyOwner } from '../core/key-owner';
import { mapLimit } from '../core/map-limit';
import { isCritical } from '../core/priority';
import {
  candidateQuery,
  criticalLeadSeconds,
  cycleMinutesForTtls,
  isDueForWarm,
  planHotKeyWarming,
  SELF_TUNING,
  type HotKeyCandidate,
} from '../core/warm-selection';
import type { CacheStore, WriteEntry } from '../store/cache-store';
import { cacheKeyProblem } from '../core/cache-key';
import { checkCacheKey, permanentKeyRefusal } from './cache-key-check';
import { FailureTypes, loaderOrigin, type Loaders } from './loaders';
import type { RedisKeys } from '../store/redis-keys';
import { readAppliedConfigText } from '../store/applied-config';
import type { UsageStore } from '../store/usage-tracker';
import { versionClock, type VersionClock } from '../store/version-clock';
import { isWrongType, writeOverWrongType } from '../store/redis-errors';

export interface OptimizerActivityDeps {
  redis: Redis | Cluster;
  keys: RedisKeys;
  store: CacheStore;
  usage: UsageStore;
  loaders: Loaders;
}

/** One adaptive task whose interval the plan changes. */
export interface IntervalChange {
  taskId: string;
  cacheKey: string;
  accessesPerMinute: number;
  fromMinutes: number;
  toMinutes: number;
}

export interface IntervalPlan {
  /** Adaptive tasks considered. */
  adaptiveTasks: number;
  changes: IntervalChange[];
}

/** A key to warm through its task's workflow (so the warm counts toward that task). */
export interface TaskWarmCandidate {
  taskId: string;
  cacheKey: string;
  reason: 'hot-missing' | 'hot-expiring' | 'critical-missing' | 'critical-expiring';
}

/** Keys of one pattern to warm in batches, as template values (never values). */
export interface PatternWarmGroup {
  patternIndex: number;
  match: string;
  vars: Record<string, string>[];
}

export interface WarmCandidates {
  /** Keys read often enough in the window to be considered (warmable or not). */
  hotKeys: number;
  tasks: TaskWarmCandidate[];
  patterns: PatternWarmGroup[];
  /** Hot keys that match neither a task nor a pattern: nobody knows how to load them. */
  unmatched: number;
  /** What the hot-key plan decided, for people (history, `warmctl optimize --json` via the activity). */
  plan?: HotKeyPlanSummary;
}

/** The hot-key plan of one cycle: how many keys it keeps warm, its cycle and its origin budget. */
export interface HotKeyPlanSummary {
  /** Keys kept warm (warmed when due). */
  plannedKeys: number;
  /** Of those, due now (missing or within their lead). */
  dueKeys: number;
  /** The cycle this plan ran under and the one it sets, in minutes. */
  cycleMinutes: number;
  nextCycleMinutes: number;
  baselineCallsPerMinute: number;
  plannedExtraCallsPerMinute: number;
  /** Null when a fixed `topN` alone decides the count. */
  maxExtraCallsPerMinute: number | null;
}

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

/** The optimiser's settings with the cycle resolved: the explicit `everyMinutes`, else self-tuned. */
export type OptimizerSettings = Omit<OptimizerSpec, 'everyMinutes'> & {
  everyMinutes: number;
  everyMinutesSource: 'config' | 'self-tuned';
  patterns: number;
  tasks: number;
};

const MAX_REPORTED_FAILURES = 10;

export function createOptimizerActivities(deps: OptimizerActivityDeps) {
  const { redis, keys, store, usage, loaders } = deps;

  async function appliedConfig(): Promise<WarmingConfig | undefined> {
    const text = await readAppliedConfigText(redis, keys);
    if (text === null) return undefined;
    try {
      return parseWarmingConfig(JSON.parse(text));
    } catch (err) {
      throw ApplicationFailure.nonRetryable(
        // JSON.parse quotes a snippet of the text, which may hold a loader URL's token.
        `the applied config under ${keys.config()} is unreadable: ${redact((err as Error).message)}`,
        FailureTypes.badInput,
      );
    }
  }

  /** Task id -> last planned interval; stray data (not a hash, not a positive number) counts as unplanned. */
  async function readPlannedIntervals(): Promise<Map<string, number>> {
    let hash: Record<string, string>;
    try {
      hash = await redis.hgetall(keys.plannedIntervals());
    } catch (err) {
      if (isWrongType(err)) return new Map();
      throw err;
    }
    return new Map(
      Object.entries(hash)
        .map(([taskId, text]) => [taskId, Number(text)] as const)
        .filter(([, minutes]) => Number.isFinite(minutes) && minutes > 0),
    );
  }

  /** Which keys need a warm: missing, or expiring within `withinSeconds`. */
  async function needsWarm(
    cacheKeys: readonly string[],
    withinSeconds: number,
  ): Promise<Map<string, 'missing' | 'expiring'>> {
    const ttls = await Promise.all(cacheKeys.map((key) => store.ttlSeconds(key)));
    const out = new Map<string, 'missing' | 'expiring'>();
    cacheKeys.forEach((key, i) => {
      const ttl = ttls[i] as number;
      if (ttl === -2) out.set(key, 'missing');
      else if (ttl >= 0 && ttl <= withinSeconds) out.set(key, 'expiring');
    });
    return out;
  }

  /** Remaining TTL of each key: undefined when missing, -1 when it has none. */
  async function remainingSeconds(cacheKeys: readonly string[]): Promise<(number | undefined)[]> {
    const ttls = await Promise.all(cacheKeys.map((key) => store.ttlSeconds(key)));
    return ttls.map((ttl) => (ttl === -2 ? undefined : ttl));
  }

  /**
   * The cycle in force: the explicit `everyMinutes`, else what the last hot-key plan set, else a
   * tenth of the shortest TTL among the config's tasks and patterns (1-15 minutes), which is also
   * what a plan with nothing hot sets.
   */
  async function cycleInForce(
    config: WarmingConfig,
  ): Promise<Pick<OptimizerSettings, 'everyMinutes' | 'everyMinutesSource'>> {
    if (config.optimizer.everyMinutes !== undefined)
      return { everyMinutes: config.optimizer.everyMinutes, everyMinutesSource: 'config' };
    let tuned: unknown;
    try {
      const text = await redis.get(keys.optimizerTuning());
      const parsed: unknown = text === null ? undefined : JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) tuned = (parsed as { everyMinutes?: unknown }).everyMinutes;
    } catch (err) {
      // Stray data where the tuning belongs (not a string, not JSON): plan from the config instead.
      if (!isWrongType(err) && !(err instanceof SyntaxError)) throw err;
    }
    const valid =
      typeof tuned === 'number' && tuned >= SELF_TUNING.minCycleMinutes && tuned <= SELF_TUNING.maxCycleMinutes;
    return {
      everyMinutes: valid
        ? (tuned as number)
        : cycleMinutesForTtls([...config.tasks, ...config.patterns].map((entry) => entry.ttlSeconds)),
      everyMinutesSource: 'self-tuned',
    };
  }

  return {
    /** The applied optimiser settings (defaults when no config was applied). */
    async readOptimizerSettings(): Promise<OptimizerSettings> {
      const config = (await appliedConfig()) ?? parseWarmingConfig({});
      return {
        ...config.optimizer,
        ...(await cycleInForce(config)),
        patterns: config.patterns.length,
        tasks: config.tasks.length,
      };
    },

    /**
     * Re-plans every adaptive task's interval from its access frequency over the window and
     * returns only the tasks whose interval changes (compared with what was last planned, or the
     * configured interval).
     */
    async planIntervals(): Promise<IntervalPlan> {
      const config = await appliedConfig();
      if (!config) return { adaptiveTasks: 0, changes: [] };
      const { windowMinutes, rules, coldIntervalMinutes } = config.optimizer;
      const adaptive = config.tasks.filter((task) => task.adaptive);
      const frequencies = await usage.frequencies(
        adaptive.map((task) => task.cacheKey),
        windowMinutes,
      );
      const planned = await readPlannedIntervals();
      const changes: IntervalChange[] = [];
      for (const task of adaptive) {
        const accessesPerMinute = frequencies.get(task.cacheKey) ?? 0;
        const toMinutes = intervalForFrequency(accessesPerMinute, rules, coldIntervalMinutes);
        const current = planned.get(task.taskId) ?? task.intervalMinutes;
        if (toMinutes !== current) {
          changes.push({
            taskId: task.taskId,
            cacheKey: task.cacheKey,
            accessesPerMinute: Math.round(accessesPerMinute * 1000) / 1000,
            fromMinutes: current,
            toMinutes,
          });
        }
      }
      return { adaptiveTasks: adaptive.length, changes };
    },

    /** Remembers the intervals the optimiser told tasks to use. */
    async recordPlannedIntervals(changes: readonly Pick<IntervalChange, 'taskId' | 'toMinutes'>[]): Promise<void> {
      if (changes.length === 0) return;
      const record = () =>
        redis.hset(keys.plannedIntervals(), Object.fromEntries(changes.map((c) => [c.taskId, String(c.toMinutes)])));
      // Stray data that is not a hash where the plan belongs: the plan is ours to rebuild.
      await writeOverWrongType(redis, keys.plannedIntervals(), record);
    },

    /**
     * The hot keys due for a warm this cycle, split into task keys and pattern keys; plus, for the
     * critical pass, critical tasks whose key is missing or expires before the next cycle. Which
     * hot keys and how far ahead is planned by core/warm-selection.ts from the window's read
     * counts, the keys' TTLs, the origin budget and the per-origin rate limit; explicit
     * `topN`, `minAccessFrequency`, `expiringWithinSeconds` and `everyMinutes` override it.
     */
    async findWarmCandidates(): Promise<WarmCandidates> {
      const config = await appliedConfig();
      if (!config) return { hotKeys: 0, tasks: [], patterns: [], unmatched: 0 };
      const settings = config.optimizer;
      const { everyMinutes: cycleMinutes } = await cycleInForce(config);
      const ownerOf = keyOwners(config);
      const tasks: TaskWarmCandidate[] = [];
      const groups = new Map<number, PatternWarmGroup>();
      let unmatched = 0;
      let hotKeys = 0;
      let plan: HotKeyPlanSummary | undefined;

      const ttls = [...config.tasks, ...config.patterns].map((entry) => entry.ttlSeconds);
      // With no task and no pattern there is nothing a hot key could be warmed by: no read count qualifies.
      const query = ttls.length > 0 ? candidateQuery(settings, Math.max(0, ...ttls)) : undefined;
      if (settings.patternWarming && settings.topN !== 0 && query && Number.isFinite(query.minReads)) {
        const window = await usage.readWindow(settings.windowMinutes, { limit: query.limit, minCount: query.minReads });
        hotKeys = window.top.length;
        const owners = new Map<string, KeyOwner>();
        const candidates: HotKeyCandidate<string>[] = [];
        for (const { key, count } of window.top) {
          const owner = ownerOf(key);
          if (!owner) {
            unmatched++;
            continue;
          }
          owners.set(key, owner);
          const spec = owner.kind === 'task' ? owner.task : owner.pattern;
          candidates.push({ key, reads: count, ttlSeconds: spec.ttlSeconds, origin: loaderOrigin(spec.loader) });
        }
        const planned = planHotKeyWarming({
          candidates,
          distinctKeys: window.distinctKeys,
          settings,
          cycleMinutes,
          originRatePerSecond: () => loaders.limits.originRatePerSecond,
          idleCycleMinutes: cycleMinutesForTtls(ttls),
        });
        const remaining = await remainingSeconds(planned.keys.map((k) => k.key));
        // Whether each value was read since it was written, asked only where it decides.
        const dueByTime = planned.keys.filter((k, i) => isDueForWarm({ ...k, onlyIfRead: false }, remaining[i]));
        const reads = new Map(
          await Promise.all(
            dueByTime
              .filter((k) => k.onlyIfRead)
              .map(async (k) => [k.key, (await store.getMeta(k.key))?.reads] as const),
          ),
        );
        let dueKeys = 0;
        planned.keys.forEach((k, i) => {
          const left = remaining[i];
          const read = reads.get(k.key);
          if (!isDueForWarm(k, left, read === undefined ? undefined : read > 0)) return;
          dueKeys++;
          const owner = owners.get(k.key) as KeyOwner;
          if (owner.kind === 'task') {
            tasks.push({
              taskId: owner.task.taskId,
              cacheKey: k.key,
              reason: left === undefined ? 'hot-missing' : 'hot-expiring',
            });
            return;
          }
          const group = groups.get(owner.index) ?? { patternIndex: owner.index, match: owner.pattern.match, vars: [] };
          group.vars.push(owner.vars);
          groups.set(owner.index, group);
        });
        plan = {
          plannedKeys: planned.keys.length,
          dueKeys,
          cycleMinutes,
          nextCycleMinutes: planned.everyMinutes,
          baselineCallsPerMinute: Math.round(planned.budget.baselineCallsPerMinute * 100) / 100,
          plannedExtraCallsPerMinute: Math.round(planned.budget.plannedExtraCallsPerMinute * 100) / 100,
          maxExtraCallsPerMinute:
            planned.budget.maxExtraCallsPerMinute === null
              ? null
              : Math.round(planned.budget.maxExtraCallsPerMinute * 100) / 100,
        };
        if (settings.everyMinutes === undefined) {
          // Read back by the next cycle (readOptimizerSettings): the cycle follows the keys warmed.
          await redis.set(
            keys.optimizerTuning(),
            JSON.stringify({ everyMinutes: planned.everyMinutes, atMs: Date.now() }),
          );
        }
      }

      if (settings.criticalWarming) {
        const critical = config.tasks.filter((task) => isCritical(task)).sort((a, b) => b.priority - a.priority);
        const due = await needsWarm(
          critical.map((task) => task.cacheKey),
          criticalLeadSeconds(settings, cycleMinutes),
        );
        const already = new Set(tasks.map((t) => t.taskId));
        for (const task of critical) {
          const state = due.get(task.cacheKey);
          if (state && !already.has(task.taskId)) {
            tasks.push({
              taskId: task.taskId,
              cacheKey: task.cacheKey,
              reason: state === 'missing' ? 'critical-missing' : 'critical-expiring',
            });
          }
        }
      }
      return { hotKeys, tasks, patterns: [...groups.values()], unmatched, ...(plan ? { plan } : {}) };
    },

    /** The pattern's template for a batch (looked up in the applied config by index). */
    async patternTemplate(patternIndex: number): Promise<WarmBatchInput['template']> {
      const config = await appliedConfig();
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
      const loaded = await mapLimit(keyed, concurrency, async ({ key, vars }) => {
        try {
          const version = clock();
          const loadStarted = Date.now();
          const value = await loaders.load({
            spec: input.template.loader,
            vars,
            signal: context.cancellationSignal,
            heartbeat: () => context.heartbeat(done),
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
          context.heartbeat(done);
        }
      });
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

export type OptimizerActivities = ReturnType<typeof createOptimizerActivities>;

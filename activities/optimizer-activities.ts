// Activities of the optimiser: plan adaptive intervals from access frequency, find hot keys that
// are missing or about to expire, and warm pattern keys in batches with pipelined writes.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Cluster, Redis } from 'ioredis';
import { parseWarmingConfig, type LoaderSpec, type OptimizerSpec, type WarmingConfig } from '../core/config-schema';
import { intervalForFrequency } from '../core/interval-policy';
import { expandTemplate, matchTemplate } from '../core/key-template';
import { mapLimit } from '../core/map-limit';
import { isCritical } from '../core/priority';
import type { CacheStore, WriteEntry } from './cache-store';
import { FailureTypes, type Loaders } from './loaders';
import type { RedisKeys } from './redis-keys';
import type { UsageStore } from './usage-tracker';
import { isWrongType } from './redis-errors';

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
  hotKeys: number;
  tasks: TaskWarmCandidate[];
  patterns: PatternWarmGroup[];
  /** Hot keys that match neither a task nor a pattern: nobody knows how to load them. */
  unmatched: number;
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

export type OptimizerSettings = OptimizerSpec & { patterns: number; tasks: number };

const MAX_REPORTED_FAILURES = 10;

export function createOptimizerActivities(deps: OptimizerActivityDeps) {
  const { redis, keys, store, usage, loaders } = deps;

  async function appliedConfig(): Promise<WarmingConfig | undefined> {
    const text = await redis.get(keys.config());
    if (text === null) return undefined;
    try {
      return parseWarmingConfig(JSON.parse(text));
    } catch (err) {
      throw ApplicationFailure.nonRetryable(
        `the applied config under ${keys.config()} is unreadable: ${(err as Error).message}`,
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

  return {
    /** The applied optimiser settings (defaults when no config was applied). */
    async readOptimizerSettings(): Promise<OptimizerSettings> {
      const config = (await appliedConfig()) ?? parseWarmingConfig({});
      return { ...config.optimizer, patterns: config.patterns.length, tasks: config.tasks.length };
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
      try {
        await record();
      } catch (err) {
        if (!isWrongType(err)) throw err;
        // Stray data that is not a hash where the plan belongs: the plan is ours to rebuild.
        await redis.del(keys.plannedIntervals());
        await record();
      }
    },

    /**
     * The hottest keys (top N with at least `minAccessFrequency` accesses per minute) that are
     * missing or about to expire, split into task keys and pattern keys; plus, for the critical
     * pass, critical tasks whose key is missing or about to expire.
     */
    async findWarmCandidates(): Promise<WarmCandidates> {
      const config = await appliedConfig();
      if (!config) return { hotKeys: 0, tasks: [], patterns: [], unmatched: 0 };
      const settings = config.optimizer;
      const taskByKey = new Map(config.tasks.map((task) => [task.cacheKey, task]));
      const tasks: TaskWarmCandidate[] = [];
      const groups = new Map<number, PatternWarmGroup>();
      let unmatched = 0;
      let hotKeys = 0;

      if (settings.patternWarming && settings.topN > 0) {
        const hot = (await usage.topKeys(settings.windowMinutes, settings.topN)).filter(
          (k) => k.frequencyPerMinute >= settings.minAccessFrequency,
        );
        hotKeys = hot.length;
        const due = await needsWarm(
          hot.map((k) => k.key),
          settings.expiringWithinSeconds,
        );
        for (const { key } of hot) {
          const state = due.get(key);
          if (!state) continue;
          const task = taskByKey.get(key);
          if (task) {
            tasks.push({
              taskId: task.taskId,
              cacheKey: key,
              reason: state === 'missing' ? 'hot-missing' : 'hot-expiring',
            });
            continue;
          }
          const index = config.patterns.findIndex((pattern) => matchTemplate(pattern.match, key) !== undefined);
          if (index < 0) {
            unmatched++;
            continue;
          }
          const pattern = config.patterns[index] as WarmingConfig['patterns'][number];
          const group = groups.get(index) ?? { patternIndex: index, match: pattern.match, vars: [] };
          group.vars.push(matchTemplate(pattern.match, key) as Record<string, string>);
          groups.set(index, group);
        }
      }

      if (settings.criticalWarming) {
        const critical = config.tasks.filter((task) => isCritical(task)).sort((a, b) => b.priority - a.priority);
        const due = await needsWarm(
          critical.map((task) => task.cacheKey),
          settings.expiringWithinSeconds,
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
      return { hotKeys, tasks, patterns: [...groups.values()], unmatched };
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
      const failures: { key: string; error: string }[] = [];
      let failed = 0;
      let done = 0;
      const loaded = await mapLimit(input.vars, concurrency, async (vars) => {
        const key = expandTemplate(input.template.key, vars);
        const loadStarted = Date.now();
        try {
          const value = await loaders.load({
            spec: input.template.loader,
            vars,
            signal: context.cancellationSignal,
            heartbeat: () => context.heartbeat(done),
          });
          const entry: WriteEntry = {
            key,
            value,
            ttlSeconds: input.template.ttlSeconds,
            version: loadStarted,
            durationMs: Date.now() - loadStarted,
            source: input.template.source,
            tags: input.template.tags,
          };
          return entry;
        } catch (err) {
          if (context.cancellationSignal.aborted) throw err;
          failed++;
          if (failures.length < MAX_REPORTED_FAILURES)
            failures.push({ key, error: err instanceof Error ? err.message : String(err) });
          return undefined;
        } finally {
          done++;
          context.heartbeat(done);
        }
      });
      const entries = loaded.filter((entry): entry is WriteEntry => entry !== undefined);
      const loadEnded = Date.now();
      const outcomes = await store.writeManyIfNewer(entries);
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

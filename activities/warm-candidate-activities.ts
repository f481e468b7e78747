// The optimiser's hot-key pass: which keys are due for a warm this cycle (planned by
// core/warm-selection.ts from the window's read counts, TTLs and the origin budget), split into task
// keys and pattern keys, plus the critical tasks whose key is missing or about to expire.
import { keyOwners, type KeyOwner } from '../core/key-owner';
import { isCritical } from '../core/priority';
import {
  candidateQuery,
  criticalLeadSeconds,
  cycleMinutesForTtls,
  isDueForWarm,
  planHotKeyWarming,
  type HotKeyCandidate,
} from '../core/warm-selection';
import { readAppliedWarmingConfig } from './applied-warming-config';
import { loaderOrigin } from './loaders';
import type { OptimizerActivityDeps } from './optimizer-activity-deps';
import { cycleInForce } from './optimizer-settings-activities';

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

export function createWarmCandidateActivities(deps: OptimizerActivityDeps) {
  const { redis, keys, store, usage, loaders } = deps;

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

  return {
    /**
     * The hot keys due for a warm this cycle, split into task keys and pattern keys; plus, for the
     * critical pass, critical tasks whose key is missing or expires before the next cycle. Which
     * hot keys and how far ahead is planned by core/warm-selection.ts from the window's read
     * counts, the keys' TTLs, the origin budget and the per-origin rate limit; explicit
     * `topN`, `minAccessFrequency`, `expiringWithinSeconds` and `everyMinutes` override it.
     */
    async findWarmCandidates(): Promise<WarmCandidates> {
      const config = await readAppliedWarmingConfig(deps);
      if (!config) return { hotKeys: 0, tasks: [], patterns: [], unmatched: 0 };
      const settings = config.optimizer;
      const { everyMinutes: cycleMinutes } = await cycleInForce(deps, config);
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
  };
}

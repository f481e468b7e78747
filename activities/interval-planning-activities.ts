// The optimiser's interval planning: each adaptive task's interval re-planned from its access
// frequency over the window (core/interval-policy.ts), and the plan remembered in Redis.
import { intervalForFrequency } from '../core/interval-policy';
import { isWrongType, writeOverWrongType } from '../store/redis-errors';
import { readAppliedWarmingConfig } from './applied-warming-config';
import type { OptimizerActivityDeps } from './optimizer-activity-deps';

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

export function createIntervalPlanningActivities(deps: Pick<OptimizerActivityDeps, 'redis' | 'keys' | 'usage'>) {
  const { redis, keys, usage } = deps;

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

  return {
    /**
     * Re-plans every adaptive task's interval from its access frequency over the window and
     * returns only the tasks whose interval changes (compared with what was last planned, or the
     * configured interval).
     */
    async planIntervals(): Promise<IntervalPlan> {
      const config = await readAppliedWarmingConfig(deps);
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
  };
}

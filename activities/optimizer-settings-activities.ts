// The optimiser's settings as its workflow reads them each cycle: the applied `optimizer` section
// with the cycle resolved (the explicit `everyMinutes`, else what the last hot-key plan set).
import { parseWarmingConfig, type OptimizerSpec, type WarmingConfig } from '../core/config-schema';
import { cycleMinutesForTtls, SELF_TUNING } from '../core/warm-selection';
import { isWrongType } from '../store/redis-errors';
import { readAppliedWarmingConfig } from './applied-warming-config';
import type { OptimizerActivityDeps } from './optimizer-activity-deps';

/** The optimiser's settings with the cycle resolved: the explicit `everyMinutes`, else self-tuned. */
export type OptimizerSettings = Omit<OptimizerSpec, 'everyMinutes'> & {
  everyMinutes: number;
  everyMinutesSource: 'config' | 'self-tuned';
  patterns: number;
  tasks: number;
};

/**
 * The cycle in force: the explicit `everyMinutes`, else what the last hot-key plan set, else a
 * tenth of the shortest TTL among the config's tasks and patterns (1-15 minutes), which is also
 * what a plan with nothing hot sets.
 */
export async function cycleInForce(
  { redis, keys }: Pick<OptimizerActivityDeps, 'redis' | 'keys'>,
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

export function createOptimizerSettingsActivities(deps: Pick<OptimizerActivityDeps, 'redis' | 'keys'>) {
  return {
    /** The applied optimiser settings (defaults when no config was applied). */
    async readOptimizerSettings(): Promise<OptimizerSettings> {
      const config = (await readAppliedWarmingConfig(deps)) ?? parseWarmingConfig({});
      return {
        ...config.optimizer,
        ...(await cycleInForce(deps, config)),
        patterns: config.patterns.length,
        tasks: config.tasks.length,
      };
    },
  };
}

// The interval policy: access frequency (accesses per minute over a window) to warming interval.
// Pure and deterministic, so the optimiser workflow and the clients share it.
import type { IntervalRule } from './config-schema';

/**
 * Accesses per minute: `count` accesses over `windowMinutes` minutes.
 * Throws a RangeError for a window that is not a positive finite number or a negative count.
 */
export function accessFrequencyPerMinute(count: number, windowMinutes: number): number {
  if (!Number.isFinite(windowMinutes) || windowMinutes <= 0) {
    throw new RangeError(`windowMinutes must be a positive number (got ${windowMinutes})`);
  }
  if (!Number.isFinite(count) || count < 0) throw new RangeError(`count must be >= 0 (got ${count})`);
  return count / windowMinutes;
}

/**
 * The warming interval for a key read `frequencyPerMinute` times a minute.
 *
 * `rules` are ordered by `aboveFrequency`, highest first (as `optimizer.rules` is validated);
 * a rule applies when the frequency is strictly above its `aboveFrequency`, and a frequency
 * that no rule matches gets `coldIntervalMinutes`. With the defaults this is the contract's
 * table: f > 1 → 15, 0.5 < f <= 1 → 30, 0.1 < f <= 0.5 → 60, f <= 0.1 → 120 minutes.
 *
 * A hotter key never gets a longer interval, whatever the configured intervals: the result is
 * the shortest interval among the rules the frequency passes and the cold interval (with
 * intervals that grow down the list, as in the defaults, that is simply the first rule that
 * matches). The result is always one of the configured intervals. NaN counts as cold.
 */
export function intervalForFrequency(
  frequencyPerMinute: number,
  rules: readonly IntervalRule[],
  coldIntervalMinutes: number,
): number {
  let interval = coldIntervalMinutes;
  for (const rule of rules) {
    if (frequencyPerMinute > rule.aboveFrequency && rule.intervalMinutes < interval) interval = rule.intervalMinutes;
  }
  return interval;
}

// Percentiles and min/median/max summaries for benchmark samples. Pure.

/**
 * The `p`-th percentile (0..100) of `values` by linear interpolation between closest ranks
 * (the common "type 7" definition). Throws a RangeError on an empty list or a `p` outside 0..100.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`p must be from 0 to 100 (got ${p})`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  return lowValue + (rank - low) * ((sorted[high] as number) - lowValue);
}

/** Spread of one figure over repeats. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  /** How many repeats. */
  n: number;
}

export function summarize(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('summary of an empty list');
  return {
    min: Math.min(...values),
    median: percentile(values, 50),
    max: Math.max(...values),
    n: values.length,
  };
}

/** Rounds to `digits` significant digits, for readable JSON (exact values are not meaningful here). */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** (digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/** Rounds every number of a spread. */
export function roundSpread(spread: Spread, digits = 4): Spread {
  return {
    min: round(spread.min, digits),
    median: round(spread.median, digits),
    max: round(spread.max, digits),
    n: spread.n,
  };
}

// Warming statistics from warm records (read out of Temporal history): pure aggregation, so the
// maths is unit-tested on its own and the same on every path.
import { formatDurationMs } from './durations';

/** What became of a warmed value: read before it was replaced or expired, never read, or not yet known. */
export type WarmFate = 'useful' | 'wasted' | 'pending';

/** One warm as history records it: metadata only. */
export interface WarmRecord {
  taskId: string;
  ok: boolean;
  /** When the warm finished (ms since epoch). */
  atMs: number;
  /** The warm's own duration (load + write) for successes; scheduled-to-closed for failures. */
  durationMs: number;
  fate: WarmFate;
  /** The key the warm wrote (absent in records built before it was recorded). */
  cacheKey?: string;
  /** Why a failed warm failed: the bottom of the failure's cause chain. */
  error?: string;
}

/** Warm counters over a set of warms (overall or one task's): `warmctl stats --json` and its `byTask`. */
export interface WarmCounters {
  /** Completed warms, succeeded or failed. */
  totalWarmings: number;
  succeeded: number;
  failed: number;
  /** Durations of the successful warms, in milliseconds (0 with none). */
  avgDurationMs: number;
  p50DurationMs: number;
  p95DurationMs: number;
  fastestMs: number;
  slowestMs: number;
  /** Warms whose value was read before it was replaced or expired. */
  useful: number;
  /** Warms whose value was replaced or expired unread. */
  wasted: number;
  /** Warms whose value is still live and unread: not yet counted either way. */
  pending: number;
  /** Percentage (0..100) of warms with a known fate whose value was read before it was replaced or expired. */
  efficiencyScore: number;
  /** The seed's label for the score: above 90 % excellent, above 80 % good, else poor; null with no known fate. */
  efficiencyRating: EfficiencyRating | null;
}

/** The label of an efficiency score: above 90 % excellent, above 80 % good, else poor. */
export type EfficiencyRating = 'excellent' | 'good' | 'poor';

/** The seed engine's labels: > 90 % excellent, > 80 % good, otherwise poor; null when no warm's fate is known. */
export function efficiencyRating(score: number, knownFates: number): EfficiencyRating | null {
  if (knownFates === 0) return null;
  return score > 90 ? 'excellent' : score > 80 ? 'good' : 'poor';
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Latency percentiles over a set of timings, in milliseconds; all zero for none. */
export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  slowestMs: number;
}

/** Nearest-rank percentiles, average and maximum of `valuesMs` (any order). */
export function summarizeLatencies(valuesMs: readonly number[]): LatencySummary {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    avgMs: sorted.length ? round(sum / sorted.length) : 0,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    slowestMs: sorted[sorted.length - 1] ?? 0,
  };
}

/** Counters over a set of warms. Durations describe successful warms (failures have no load time). */
export function summarizeWarms(records: readonly WarmRecord[]): WarmCounters {
  const succeeded = records.filter((r) => r.ok);
  const durations = succeeded.map((r) => r.durationMs).sort((a, b) => a - b);
  const useful = succeeded.filter((r) => r.fate === 'useful').length;
  const wasted = succeeded.filter((r) => r.fate === 'wasted').length;
  const known = useful + wasted;
  const sum = durations.reduce((total, d) => total + d, 0);
  return {
    totalWarmings: records.length,
    succeeded: succeeded.length,
    failed: records.length - succeeded.length,
    avgDurationMs: durations.length ? round(sum / durations.length) : 0,
    p50DurationMs: percentile(durations, 50),
    p95DurationMs: percentile(durations, 95),
    fastestMs: durations[0] ?? 0,
    slowestMs: durations[durations.length - 1] ?? 0,
    useful,
    wasted,
    pending: succeeded.length - known,
    efficiencyScore: known ? round((100 * useful) / known) : 0,
    efficiencyRating: efficiencyRating(known ? round((100 * useful) / known) : 0, known),
  };
}

/** Overall counters plus the same counters per task. */
export function summarizeByTask(
  records: readonly WarmRecord[],
): WarmCounters & { byTask: Record<string, WarmCounters> } {
  const groups = new Map<string, WarmRecord[]>();
  for (const record of records) {
    const group = groups.get(record.taskId) ?? [];
    group.push(record);
    groups.set(record.taskId, group);
  }
  const byTask: Record<string, WarmCounters> = {};
  for (const [taskId, group] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)))
    byTask[taskId] = summarizeWarms(group);
  return { ...summarizeWarms(records), byTask };
}

/**
 * The fate of each successful warm of one key, given in order: a warm is useful when the next
 * write that replaced it reports reads > 0, wasted when it reports none (or when the warm was
 * dropped because a newer value was already stored), and otherwise decided by `current`: what the
 * key's metadata says now about the last warm.
 */
export interface FateInput {
  version: number;
  written: boolean;
  /** What this warm's write reported about the version it replaced. */
  replaced?: { version: number; reads: number };
}

export interface CurrentMeta {
  version: number;
  reads: number;
  expiresAtMs: number;
}

export function decideFates(
  warms: readonly FateInput[],
  current: CurrentMeta | null | undefined,
  nowMs: number,
): WarmFate[] {
  const readsByReplacedVersion = new Map<number, number>();
  for (const warm of warms) if (warm.replaced) readsByReplacedVersion.set(warm.replaced.version, warm.replaced.reads);
  return warms.map((warm) => {
    if (!warm.written) return 'wasted';
    const reads = readsByReplacedVersion.get(warm.version);
    if (reads !== undefined) return reads > 0 ? 'useful' : 'wasted';
    if (current && current.version === warm.version) {
      if (current.reads > 0) return 'useful';
      return nowMs >= current.expiresAtMs ? 'wasted' : 'pending';
    }
    return 'pending';
  });
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Column names of a counters row, as `warmCounterCells` fills them (lower case; callers style them). */
export const WARM_COUNTER_COLUMNS = [
  'warms',
  'ok',
  'failed',
  'avg',
  'p50',
  'p95',
  'fastest',
  'slowest',
  'useful',
  'wasted',
  'pending',
  'efficiency',
] as const;

/**
 * One counters row as text, for the stats table and the report. Durations describe successful
 * warms, so a task with none shows `none` rather than 0ms; so does an efficiency with no known fate.
 */
export function warmCounterCells(c: WarmCounters, none: string): string[] {
  const ms = (value: number) => (c.succeeded ? formatDurationMs(value) : none);
  return [
    String(c.totalWarmings),
    String(c.succeeded),
    String(c.failed),
    ms(c.avgDurationMs),
    ms(c.p50DurationMs),
    ms(c.p95DurationMs),
    ms(c.fastestMs),
    ms(c.slowestMs),
    String(c.useful),
    String(c.wasted),
    String(c.pending),
    c.useful + c.wasted > 0
      ? `${c.efficiencyScore}% ${efficiencyRating(c.efficiencyScore, c.useful + c.wasted)}`
      : none,
  ];
}

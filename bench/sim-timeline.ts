// Per-second counts of a simulated run and what the cold-start and TTL-wave rows read from them:
// how long a hit ratio takes to come back, the busiest stretch of origin calls, the worst dip. Pure.

/** Reads, fresh hits and origin calls (loads started) in each simulated second. */
export interface Timeline {
  reads: Int32Array;
  hits: Int32Array;
  calls: Int32Array;
}

export function emptyTimeline(seconds: number): Timeline {
  const n = Math.max(1, Math.ceil(seconds));
  return { reads: new Int32Array(n), hits: new Int32Array(n), calls: new Int32Array(n) };
}

function sum(values: Int32Array, from: number, to: number): number {
  let total = 0;
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) total += values[i] as number;
  return total;
}

/** Hits over reads in seconds [from, to); 0 with no reads. */
export function hitRatioBetween(timeline: Timeline, fromSecond: number, toSecond: number): number {
  const reads = sum(timeline.reads, fromSecond, toSecond);
  return reads > 0 ? sum(timeline.hits, fromSecond, toSecond) / reads : 0;
}

/**
 * Seconds from `eventSecond` until the hit ratio over the last `windowSeconds` (a window wholly
 * after the event, so the answer is at least `windowSeconds`) first reaches `target`; null if it
 * never does within the timeline.
 */
export function secondsToReach(
  timeline: Timeline,
  eventSecond: number,
  windowSeconds: number,
  target: number,
): number | null {
  if (!(Number.isInteger(windowSeconds) && windowSeconds >= 1))
    throw new RangeError(`windowSeconds must be a positive integer (got ${windowSeconds})`);
  let reads = 0;
  let hits = 0;
  for (let end = eventSecond; end < timeline.reads.length; end++) {
    reads += timeline.reads[end] as number;
    hits += timeline.hits[end] as number;
    const leaving = end - windowSeconds;
    if (leaving >= eventSecond) {
      reads -= timeline.reads[leaving] as number;
      hits -= timeline.hits[leaving] as number;
    }
    if (end + 1 - eventSecond >= windowSeconds && reads > 0 && hits / reads >= target) return end + 1 - eventSecond;
  }
  return null;
}

/** The most origin calls per second over any `windowSeconds` stretch within seconds [from, to). */
export function peakCallsPerSecond(
  timeline: Timeline,
  fromSecond: number,
  toSecond: number,
  windowSeconds: number,
): number {
  let best = 0;
  for (let start = fromSecond; start + windowSeconds <= toSecond; start++)
    best = Math.max(best, sum(timeline.calls, start, start + windowSeconds) / windowSeconds);
  return best;
}

/** The lowest hit ratio over any `windowSeconds` stretch within seconds [from, to). */
export function lowestHitRatio(
  timeline: Timeline,
  fromSecond: number,
  toSecond: number,
  windowSeconds: number,
): number {
  let worst = 1;
  for (let start = fromSecond; start + windowSeconds <= toSecond; start++)
    worst = Math.min(worst, hitRatioBetween(timeline, start, start + windowSeconds));
  return worst;
}

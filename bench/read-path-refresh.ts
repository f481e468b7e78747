// The read-path refresh rules teams use instead of a warmer, as pure decisions the hit-ratio
// simulation applies on each read, and the per-origin start window every refresh goes through.
// Pure: times are simulated seconds, randomness comes in as an argument.

/**
 * XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede Prevention",
 * VLDB 2015): a read of a live value recomputes it early when `now - delta * beta * ln(u) >= expiry`,
 * `delta` the time the last recompute took, `u` uniform in (0, 1]. Early recomputes crowd into the
 * last few `delta` before expiry, so a key is refreshed ahead only when it is read in that span.
 */
export function xfetchRecomputesEarly(
  nowSeconds: number,
  expirySeconds: number,
  deltaSeconds: number,
  beta: number,
  uniform: number,
): boolean {
  if (!(uniform > 0 && uniform <= 1)) throw new RangeError(`uniform must be in (0, 1] (got ${uniform})`);
  return nowSeconds - deltaSeconds * beta * Math.log(uniform) >= expirySeconds;
}

/**
 * cache-manager's `refreshThreshold` and the product's `staleWhileRevalidateSeconds` on a hit: a
 * background refresh when the value has less than the threshold left to live.
 */
export function refreshAheadDue(remainingSeconds: number, thresholdSeconds: number): boolean {
  return thresholdSeconds > 0 && remainingSeconds >= 0 && remainingSeconds < thresholdSeconds;
}

/**
 * What a read finds under stale-while-revalidate with a grace window (RFC 5861, Varnish grace,
 * BentoCache's grace period): a live value is fresh; one expired less than `graceSeconds` ago is
 * served stale (and triggers a background refresh); anything older, or never stored, is a miss.
 */
export function graceState(
  nowSeconds: number,
  expirySeconds: number | undefined,
  graceSeconds: number,
): 'fresh' | 'stale' | 'miss' {
  if (expirySeconds === undefined) return 'miss';
  if (nowSeconds < expirySeconds) return 'fresh';
  return nowSeconds < expirySeconds + graceSeconds ? 'stale' : 'miss';
}

/**
 * At most `ratePerSecond` starts in any one-second window, as the worker's per-origin limiter
 * counts them (a sliding window of start times). `reserve` queues a start (the worker's warms
 * wait for a slot); `tryStart` starts now or not at all (a read-path refresh that cannot start is
 * skipped, and the next read may try again). 0 means no limit. Times must not go backwards.
 */
export class StartWindow {
  private readonly starts: Float64Array;
  private next = 0;

  constructor(readonly ratePerSecond: number) {
    if (!(Number.isInteger(ratePerSecond) && ratePerSecond >= 0))
      throw new RangeError(`ratePerSecond must be an integer >= 0 (got ${ratePerSecond})`);
    this.starts = new Float64Array(ratePerSecond).fill(-Infinity);
  }

  /** The earliest start at or after `t` the window allows. */
  earliest(t: number): number {
    if (this.ratePerSecond === 0) return t;
    return Math.max(t, (this.starts[this.next] as number) + 1);
  }

  /** Takes the earliest slot at or after `t` and returns its time. */
  reserve(t: number): number {
    const at = this.earliest(t);
    if (this.ratePerSecond > 0) {
      this.starts[this.next] = at;
      this.next = (this.next + 1) % this.ratePerSecond;
    }
    return at;
  }

  /** Starts at `t` if the window has room, else not at all. */
  tryStart(t: number): boolean {
    if (this.earliest(t) > t) return false;
    this.reserve(t);
    return true;
  }
}

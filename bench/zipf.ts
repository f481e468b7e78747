// Seeded randomness for repeatable workloads: a small PRNG and a Zipf sampler. Pure.

/** mulberry32: a fast 32-bit PRNG; the same seed gives the same sequence in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Zipf(s) over ranks 0..n-1: rank r is drawn with probability proportional to 1 / (r + 1)^s.
 * Built once in O(n) (a cumulative table), each draw is a binary search.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer (got ${n})`);
    if (!(s >= 0)) throw new RangeError(`s must be >= 0 (got ${s})`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) {
      sum += 1 / Math.pow(r + 1, s);
      this.cdf[r] = sum;
    }
    for (let r = 0; r < n; r++) this.cdf[r] = (this.cdf[r] as number) / sum;
  }

  /** Probability of rank `r`. */
  probability(r: number): number {
    if (r < 0 || r >= this.n) return 0;
    return (this.cdf[r] as number) - (r === 0 ? 0 : (this.cdf[r - 1] as number));
  }

  /** One rank, from a uniform number in [0, 1). */
  rank(uniform: number): number {
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.cdf[mid] as number) > uniform) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** `count` ranks drawn with `random`. */
  draw(count: number, random: () => number): Int32Array {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.rank(random());
    return out;
  }
}

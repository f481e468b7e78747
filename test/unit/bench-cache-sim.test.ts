import { DEFAULT_COLD_INTERVAL_MINUTES, DEFAULT_INTERVAL_RULES } from '../../core/config-schema';
import { simulate, topKeysOfPrefix, windowCandidates, type OptimizerSimSettings } from '../../bench/cache-sim';
import { parseTrace } from '../../bench/oltp-trace';

const optimizer: OptimizerSimSettings = {
  everyMinutes: 1,
  windowMinutes: 60,
  topN: 10,
  minAccessFrequency: 0.1,
  expiringWithinSeconds: 60,
  rules: DEFAULT_INTERVAL_RULES,
  coldIntervalMinutes: DEFAULT_COLD_INTERVAL_MINUTES,
  originRatePerSecond: 0,
};

/** Nothing set but the window: every hot-key field self-tunes, as with an empty config. */
const selfTuned: OptimizerSimSettings = {
  windowMinutes: 60,
  rules: DEFAULT_INTERVAL_RULES,
  coldIntervalMinutes: DEFAULT_COLD_INTERVAL_MINUTES,
  originRatePerSecond: 50,
};

/** Key 0 read once a second for `seconds`. */
const everySecond = (seconds: number) => new Int32Array(seconds);

describe('cache-aside', () => {
  test('misses once per TTL on a key read steadily, and every miss is an origin call', () => {
    const result = simulate(everySecond(300), 1, { ttlSeconds: 100, readsPerSecond: 1 }, { kind: 'cache-aside' });
    // Reads at 0, 100, 200 find the key missing or just expired.
    expect(result).toMatchObject({ reads: 300, hits: 297, missLoads: 3, warmLoads: 0, originCalls: 3 });
  });
});

describe('the oracle (limit row)', () => {
  test("turns every miss but a key's first read into a hit, at cache-aside's origin calls", () => {
    // Keys 0 and 1 alternate, each read every 2 s, with a 3 s TTL: cache-aside misses every other read.
    const reads = Int32Array.from({ length: 20 }, (_, i) => i % 2);
    const settings = { ttlSeconds: 3, readsPerSecond: 1 };
    const aside = simulate(reads, 2, settings, { kind: 'cache-aside' });
    const oracle = simulate(reads, 2, settings, { kind: 'oracle' });
    expect(oracle.hits).toBe(18);
    expect(oracle.missLoads).toBe(2);
    expect(oracle.originCalls).toBe(aside.originCalls);
  });
});

describe('fixed-interval warming', () => {
  test('keeps a registered key present when it warms at least every TTL, whether or not it is read', () => {
    const reads = everySecond(300);
    const result = simulate(
      reads,
      2,
      { ttlSeconds: 100, readsPerSecond: 1 },
      {
        kind: 'fixed-interval',
        keys: [0, 1],
        intervalMinutes: 1,
      },
    );
    expect(result.hits).toBe(300);
    expect(result.missLoads).toBe(0);
    expect(result.warmLoads).toBe(2 * 5); // both keys at 0, 60, 120, 180, 240
  });
});

describe('this warmer', () => {
  test('warms a hot key before it expires, turning cache-aside misses into hits for a few more origin calls', () => {
    const settings = { ttlSeconds: 300, readsPerSecond: 1 };
    const reads = everySecond(3600);
    const aside = simulate(reads, 1, settings, { kind: 'cache-aside' });
    const warmer = simulate(reads, 1, settings, { kind: 'warmer', keys: [], intervalMinutes: 60, optimizer });
    expect(warmer.hitRatio).toBeGreaterThan(aside.hitRatio);
    expect(warmer.missLoads).toBe(1); // only the very first read
    // Refreshed when it has <= 60 s left, checked every minute: every 240 s instead of every 301 s.
    expect(warmer.originCalls).toBeLessThanOrEqual(Math.ceil(aside.originCalls * 1.3));
  });

  test('re-plans a task from its frequency with the interval policy', () => {
    // A key read once a second (60 per minute, so f > 1) as a task configured at 120 minutes and a
    // 3-hour TTL: after the first cycle it warms every 15 minutes.
    const settings = { ttlSeconds: 3 * 3600, readsPerSecond: 1 };
    const result = simulate(everySecond(3600), 1, settings, {
      kind: 'warmer',
      keys: [0],
      intervalMinutes: 120,
      optimizer: { ...optimizer, topN: 0 },
    });
    expect(result.warmLoads).toBe(4); // at 0, 15, 30, 45 minutes
  });

  test('fetches the window as the usage store does: most read first, at least minReads, at most limit', () => {
    const keysOf = (counts: number[], limit: number, minReads: number) =>
      windowCandidates(Int32Array.from(counts), { limit, minReads }, 60).map((c) => c.key);
    expect(keysOf([5, 6, 100], 10, 6)).toEqual([2, 1]);
    expect(keysOf([7, 7, 9], 2, 1)).toEqual([2, 0]);
  });

  test('with shipped defaults, keeps a steadily read key warm for a few more origin calls, looking every minute', () => {
    // Read once a second with a 600 s TTL: cache-aside misses once every 601 s.
    const settings = { ttlSeconds: 600, readsPerSecond: 1 };
    const reads = everySecond(4 * 3600);
    const aside = simulate(reads, 1, settings, { kind: 'cache-aside' });
    const warmer = simulate(reads, 1, settings, {
      kind: 'warmer',
      keys: [],
      intervalMinutes: 60,
      optimizer: selfTuned,
    });
    expect(warmer.missLoads).toBe(1); // only the very first read
    expect(warmer.hits).toBe(reads.length - 1);
    // Refreshed up to a cycle (60 s) plus 10 s early, every ~535-600 s instead of every 601 s.
    expect(warmer.originCalls).toBeLessThanOrEqual(Math.ceil(aside.originCalls * 1.15));
  });
});

describe('topKeysOfPrefix', () => {
  test('ranks keys by reads within the prefix only', () => {
    const trace = Int32Array.from([1, 1, 2, 0, 0, 0]);
    expect(topKeysOfPrefix(trace, 3, 3, 2)).toEqual([1, 2]);
  });
});

describe('parseTrace', () => {
  test('reads each block of a request as one read, with dense ids in first-seen order', () => {
    const trace = parseTrace('10 2 0 1\n7 1 0 2\n\n11 1 0 3\n');
    expect(Array.from(trace.reads)).toEqual([0, 1, 2, 1]);
    expect(trace).toMatchObject({ keyCount: 3, requests: 3 });
  });

  test('names the line of a malformed request', () => {
    expect(() => parseTrace('1 1 0 1\nnot a line\n')).toThrow(/trace line 2/);
    expect(() => parseTrace('1 0 0 1\n')).toThrow(/trace line 1/);
  });
});

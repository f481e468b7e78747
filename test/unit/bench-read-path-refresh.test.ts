import { graceState, refreshAheadDue, StartWindow, xfetchRecomputesEarly } from '../../bench/read-path-refresh';
import { simulate } from '../../bench/cache-sim';
import { lowestHitRatio, peakCallsPerSecond, secondsToReach, type Timeline } from '../../bench/sim-timeline';

describe('XFetch', () => {
  test('recomputes early when now - delta * beta * ln(u) reaches the expiry', () => {
    // delta 2 s, beta 1, u = e^-1: the read looks 2 s ahead.
    expect(xfetchRecomputesEarly(98, 100, 2, 1, Math.exp(-1))).toBe(true);
    expect(xfetchRecomputesEarly(97.9, 100, 2, 1, Math.exp(-1))).toBe(false);
    // u = 1 looks no further than now; beta 2 looks twice as far.
    expect(xfetchRecomputesEarly(99.9, 100, 2, 1, 1)).toBe(false);
    expect(xfetchRecomputesEarly(96, 100, 2, 2, Math.exp(-1))).toBe(true);
    expect(() => xfetchRecomputesEarly(0, 1, 1, 1, 0)).toThrow(/uniform/);
  });
});

describe('refresh threshold', () => {
  test('refreshes a hit with less than the threshold left, never with 0 (off)', () => {
    expect(refreshAheadDue(119.9, 120)).toBe(true);
    expect(refreshAheadDue(120, 120)).toBe(false);
    expect(refreshAheadDue(10, 0)).toBe(false);
  });
});

describe('grace window', () => {
  test('serves a value fresh before expiry, stale within the grace after it, and misses later', () => {
    expect(graceState(99, 100, 30)).toBe('fresh');
    expect(graceState(100, 100, 30)).toBe('stale');
    expect(graceState(129.9, 100, 30)).toBe('stale');
    expect(graceState(130, 100, 30)).toBe('miss');
    expect(graceState(0, undefined, 30)).toBe('miss');
  });
});

describe('StartWindow', () => {
  test('allows at most the rate in any one second, queuing reservations and refusing tries', () => {
    const window = new StartWindow(2);
    expect([window.reserve(0), window.reserve(0), window.reserve(0), window.reserve(0.5)]).toEqual([0, 0, 1, 1]);
    expect(window.tryStart(1.5)).toBe(false);
    expect(window.tryStart(2)).toBe(true);
    expect(new StartWindow(0).reserve(3)).toBe(3);
  });
});

describe('the read-path policies in the simulation', () => {
  // Key 0 read once a second for 250 s, TTL 100 s, loads take 1 s.
  const reads = new Int32Array(250);
  const settings = { ttlSeconds: 100, readsPerSecond: 1, originLatencySeconds: 1 };

  test('cache-aside: a read while the key loads waits for that load (a miss, no second call)', () => {
    const r = simulate(reads, 1, settings, { kind: 'cache-aside' });
    // Loads at 0 (stored at 1, lives to 101), 101 (to 202), 202: misses at 0, 101, 202.
    expect(r).toMatchObject({ hits: 247, missLoads: 3, originCalls: 3 });
  });

  test('refresh threshold: a hit with less left refreshes in the background, so only the first read misses', () => {
    const r = simulate(reads, 1, settings, { kind: 'refresh-ahead', thresholdSeconds: 10 });
    // Stored at 1 (to 101); the read at 92 has 9 s left: refresh, stored at 93 (to 193); at 184: stored at 185.
    expect(r).toMatchObject({ hits: 249, missLoads: 1, refreshLoads: 2, originCalls: 3 });
  });

  test('stale-while-revalidate: the read after expiry is a stale hit, not a fresh one, and refreshes', () => {
    const r = simulate(reads, 1, settings, { kind: 'stale-while-revalidate', graceSeconds: 50 });
    // Expiry 101: the read at 101 is stale and refreshes (stored 102, to 202); at 202 stale again.
    expect(r).toMatchObject({ hits: 247, staleHits: 2, missLoads: 1, refreshLoads: 2 });
  });

  test('XFetch with a recompute time of 0 never recomputes early: it is cache-aside', () => {
    const r = simulate(reads, 1, { ...settings, originLatencySeconds: 0 }, { kind: 'xfetch', beta: 1 });
    expect(r).toMatchObject({ refreshLoads: 0, missLoads: 3 });
  });

  test('a refresh the per-origin rate limit refuses is skipped, and the next read tries again', () => {
    // Two keys read alternately (each every 2 s), limit 1 start a second: both refreshes can run.
    const two = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    const r = simulate(
      two,
      2,
      { ttlSeconds: 10, readsPerSecond: 2, refreshRatePerSecond: 1 },
      {
        kind: 'refresh-ahead',
        thresholdSeconds: 9.9,
      },
    );
    expect(r.refreshesDenied).toBeGreaterThan(0);
    expect(r.refreshLoads).toBeGreaterThan(0);
  });

  test('a flush deletes every value and a preload stores keys before the first read', () => {
    const r = simulate(
      new Int32Array(20),
      1,
      { ttlSeconds: 100, readsPerSecond: 1, preloadKeys: [0], flushAtSeconds: 10 },
      {
        kind: 'cache-aside',
      },
    );
    // Preloaded: hits 0..9; flushed at 10: a miss, then hits.
    expect(r).toMatchObject({ hits: 19, missLoads: 1, preloadLoads: 1, originCalls: 2 });
  });
});

describe('timeline figures', () => {
  const timeline = (hits: number[], calls: number[] = hits.map(() => 0)): Timeline => ({
    reads: Int32Array.from(hits.map(() => 10)),
    hits: Int32Array.from(hits),
    calls: Int32Array.from(calls),
  });

  test('secondsToReach counts from the event to the end of the first window at the target', () => {
    // Event at second 1, 2 s windows: seconds 1-2 hit 30 %, 2-3 65 %, 3-4 80 %: the last ends 4 s after the event.
    expect(secondsToReach(timeline([10, 2, 4, 9, 7]), 1, 2, 0.8)).toBe(4);
    expect(secondsToReach(timeline([10, 2, 4, 9, 7]), 1, 2, 0.95)).toBeNull();
    expect(secondsToReach(timeline([10, 10]), 0, 2, 1)).toBe(2); // never less than the window
  });

  test('peak calls and lowest hit ratio over a stretch', () => {
    const t = timeline([10, 5, 0, 10], [1, 9, 3, 0]);
    expect(peakCallsPerSecond(t, 0, 4, 2)).toBe(6);
    expect(lowestHitRatio(t, 0, 4, 2)).toBe(0.25);
  });
});

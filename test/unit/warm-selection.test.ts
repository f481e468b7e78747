import {
  candidateQuery,
  criticalLeadSeconds,
  cycleMinutesForTtls,
  isDueForWarm,
  planHotKeyWarming,
  SELF_TUNING,
  type HotKeyCandidate,
  type HotKeySettings,
} from '../../core/warm-selection';

const W = 60; // window, minutes
const selfTuned: HotKeySettings = { windowMinutes: W };

/** Candidates with these reads in the window, most read first, one origin, one TTL. */
function candidates(reads: number[], ttlSeconds = 600, origin = 'http://o'): HotKeyCandidate<string>[] {
  return reads.map((r, i) => ({ key: `k${i}`, reads: r, ttlSeconds, origin }));
}

/** Reads per window for λT = ratio with a 600 s TTL and a 60-minute window. */
const readsFor = (ratio: number) => (ratio * W * 60) / 600;

describe('planHotKeyWarming, self-tuned', () => {
  test('keeps the keys most likely to be read again warm until the planned extra origin calls reach the budget', () => {
    // A Zipf-like spread over 2 000 keys, plus 1 000 keys read once (the tail cache-aside loads anyway).
    const reads = Array.from({ length: 2_000 }, (_, i) => Math.max(1, Math.round(3_000 / (i + 1))));
    const plan = planHotKeyWarming({
      candidates: candidates(reads),
      distinctKeys: 3_000,
      settings: selfTuned,
      cycleMinutes: 1,
    });
    const { baselineCallsPerMinute, plannedExtraCallsPerMinute, maxExtraCallsPerMinute } = plan.budget;
    // 20 % of cache-aside's calls, planned at budgetPlanningShare of it.
    expect(maxExtraCallsPerMinute).toBeCloseTo(baselineCallsPerMinute * 0.2 * SELF_TUNING.budgetPlanningShare, 6);
    expect(plannedExtraCallsPerMinute).toBeLessThanOrEqual(maxExtraCallsPerMinute as number);
    // The budget is what stops it, not the floor: keys that pass the floor are left out.
    expect(plan.keys.length).toBeGreaterThan(0);
    expect(plan.keys.length).toBeLessThan(plan.eligible);
    // Best first, and no key left out beats a key taken.
    const chances = plan.keys.map((k) => k.rereadChance);
    expect([...chances].sort((a, b) => b - a)).toEqual(chances);
    const lastTaken = chances[chances.length - 1] as number;
    expect(plan.keys.map((k) => k.key)).toEqual(reads.slice(0, plan.keys.length).map((_, i) => `k${i}`));
    expect(lastTaken).toBeGreaterThanOrEqual(1 - Math.exp(-(reads[plan.keys.length] as number) / 6));
  });

  test('a larger maxExtraOriginCallsPercent warms more keys, and 0 warms none', () => {
    const input = {
      candidates: candidates(Array.from({ length: 500 }, (_, i) => Math.round(600 / (i + 1)) + 3)),
      distinctKeys: 500,
      cycleMinutes: 1,
    };
    const count = (percent: number) =>
      planHotKeyWarming({ ...input, settings: { ...selfTuned, maxExtraOriginCallsPercent: percent } }).keys.length;
    expect(count(0)).toBe(0);
    expect(count(5)).toBeLessThan(count(20));
    expect(count(20)).toBeLessThan(count(100));
    expect(planHotKeyWarming({ ...input, settings: selfTuned }).keys.length).toBe(count(20));
  });

  test('never warms a key whose refresh has less than a 20 % chance of being read, whatever the budget', () => {
    const plan = planHotKeyWarming({
      candidates: candidates([readsFor(0.4), readsFor(0.2)]),
      distinctKeys: 2,
      settings: { ...selfTuned, maxExtraOriginCallsPercent: 1000 },
      cycleMinutes: 1,
    });
    expect(plan.keys.map((k) => k.key)).toEqual(['k0']);
    expect(plan.keys[0]?.rereadChance).toBeCloseTo(1 - Math.exp(-0.4), 6);
  });

  test("keeps an origin's planned refreshes within half its rate limit", () => {
    // 3 000 keys read all the time (refreshing them is nearly free) at one origin limited to 4 loads
    // a second: half of it is 2/s, which refreshes at most ~1 130 keys of a 600 s TTL.
    const hot = candidates(Array.from({ length: 3_000 }, () => 3_600));
    const plan = planHotKeyWarming({
      candidates: hot,
      distinctKeys: 3_000,
      settings: selfTuned,
      cycleMinutes: 1,
      originRatePerSecond: (origin) => (origin === 'http://o' ? 4 : 0),
    });
    // Each refreshed about half its lead early.
    const refreshesPerSecond = plan.keys.reduce((sum, k) => sum + 1 / (600 - k.leadSeconds / 2), 0);
    expect(refreshesPerSecond).toBeLessThanOrEqual(4 * SELF_TUNING.originRateShare + 1e-9);
    expect(plan.keys.length).toBeGreaterThan(1_000);
    // Another origin is not held back by that one.
    const other = hot.map((c) => ({ ...c, origin: 'http://other' }));
    expect(
      planHotKeyWarming({ candidates: other, distinctKeys: 3_000, settings: selfTuned, cycleMinutes: 1 }).keys,
    ).toHaveLength(3_000);
  });

  test('leads grow with how often a key is read and never reach past the next look', () => {
    const plan = planHotKeyWarming({
      candidates: candidates([3_600, 60, readsFor(1)]),
      distinctKeys: 10,
      settings: { ...selfTuned, maxExtraOriginCallsPercent: 1000 },
      cycleMinutes: 1,
    });
    const [hot, warm, tepid] = plan.keys.map((k) => k.leadSeconds) as [number, number, number];
    const horizon = 60 + SELF_TUNING.leadMarginSeconds;
    expect(hot).toBeGreaterThan(warm);
    expect(warm).toBeGreaterThan(tepid);
    expect(hot).toBeLessThanOrEqual(horizon);
    expect(hot).toBeGreaterThan(horizon - 5); // read every second: refresh before the next look
    expect(tepid).toBeGreaterThanOrEqual(0);
  });

  test('leaves keys that live less than two self-tuned looks to cache-aside', () => {
    const plan = planHotKeyWarming({
      candidates: [
        { key: 'short', reads: 3_600, ttlSeconds: 100, origin: 'o' },
        { key: 'long', reads: 3_600, ttlSeconds: 600, origin: 'o' },
      ],
      distinctKeys: 2,
      settings: selfTuned,
      cycleMinutes: 1,
    });
    expect(plan.keys.map((k) => k.key)).toEqual(['long']);
    // With an explicit everyMinutes the looks are the user's: a due key is warmed at each.
    const explicit = planHotKeyWarming({
      candidates: [{ key: 'short', reads: 3_600, ttlSeconds: 100, origin: 'o' }],
      distinctKeys: 1,
      settings: { ...selfTuned, everyMinutes: 1, maxExtraOriginCallsPercent: 1000 },
      cycleMinutes: 1,
    });
    expect(explicit.keys.map((k) => k.key)).toEqual(['short']);
  });

  test('sets the cycle to a tenth of the shortest TTL it warms, in whole minutes from 1 to 15', () => {
    const plan = (ttls: number[]) =>
      planHotKeyWarming({
        candidates: ttls.map((ttlSeconds, i) => ({ key: i, reads: 3_600, ttlSeconds, origin: 'o' })),
        distinctKeys: ttls.length,
        settings: selfTuned,
        cycleMinutes: 1,
      }).everyMinutes;
    expect(plan([600, 7_200])).toBe(1);
    expect(plan([3_600, 7_200])).toBe(6);
    expect(plan([86_400])).toBe(15);
    expect(plan([])).toBe(15);
    // Nothing hot: the cycle the caller derives from its config.
    expect(
      planHotKeyWarming({ candidates: [], distinctKeys: 0, settings: selfTuned, cycleMinutes: 1, idleCycleMinutes: 3 })
        .everyMinutes,
    ).toBe(3);
    expect(cycleMinutesForTtls([300])).toBe(1);
    expect(cycleMinutesForTtls([1_800, 0])).toBe(3);
  });
});

describe('planHotKeyWarming, explicit overrides', () => {
  test('an explicit topN warms the N most read keys with at least minAccessFrequency, with no budget', () => {
    const plan = planHotKeyWarming({
      candidates: candidates([600, 300, 100, 7, 5]),
      distinctKeys: 1_000_000,
      settings: { windowMinutes: W, topN: 4, minAccessFrequency: 0.1, expiringWithinSeconds: 120, everyMinutes: 15 },
      cycleMinutes: 15,
    });
    expect(plan.keys.map((k) => k.key)).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(plan.keys.every((k) => k.leadSeconds === 120 && !k.onlyIfRead)).toBe(true);
    expect(plan.budget.maxExtraCallsPerMinute).toBeNull();
    expect(plan.everyMinutes).toBe(15);
  });

  test('an explicit topN with an explicit maxExtraOriginCallsPercent applies both', () => {
    const input = {
      candidates: candidates(Array.from({ length: 400 }, (_, i) => Math.round(600 / (i + 1)) + 3)),
      distinctKeys: 4_000,
      cycleMinutes: 1,
    };
    const both = planHotKeyWarming({ ...input, settings: { ...selfTuned, topN: 300, maxExtraOriginCallsPercent: 5 } });
    const topOnly = planHotKeyWarming({ ...input, settings: { ...selfTuned, topN: 300 } });
    expect(both.keys.length).toBeLessThan(topOnly.keys.length);
    expect(topOnly.keys.length).toBeLessThanOrEqual(300);
  });

  test('rejects a setting out of range, naming it', () => {
    const input = { candidates: [], distinctKeys: 0, cycleMinutes: 1 };
    expect(() => planHotKeyWarming({ ...input, settings: { windowMinutes: 0 } })).toThrow(/^windowMinutes must be/);
    expect(() => planHotKeyWarming({ ...input, settings: { ...selfTuned, maxExtraOriginCallsPercent: -1 } })).toThrow(
      /^maxExtraOriginCallsPercent must be/,
    );
    expect(() => planHotKeyWarming({ ...input, settings: selfTuned, cycleMinutes: 0 })).toThrow(/^cycleMinutes must/);
    expect(() => planHotKeyWarming({ ...input, settings: selfTuned, distinctKeys: -1 })).toThrow(/^distinctKeys/);
  });
});

describe('candidateQuery', () => {
  test('fetches topN, or up to maxCandidates of the keys that could pass the floor at the longest TTL', () => {
    expect(candidateQuery({ windowMinutes: 60, topN: 10, minAccessFrequency: 0.1 }, 600)).toEqual({
      limit: 10,
      minReads: 6,
    });
    // λT >= -ln(0.8) = 0.223 with T = 600 s over 3 600 s needs 1.34 reads: 2.
    expect(candidateQuery(selfTuned, 600)).toEqual({ limit: SELF_TUNING.maxCandidates, minReads: 2 });
    expect(candidateQuery(selfTuned, 86_400).minReads).toBe(1);
  });
});

describe('isDueForWarm and the critical lead', () => {
  test('a missing key is due, a key within its lead is due, a key without TTL never is', () => {
    const planned = { leadSeconds: 30, onlyIfRead: false };
    expect(isDueForWarm(planned, undefined)).toBe(true);
    expect(isDueForWarm(planned, 30)).toBe(true);
    expect(isDueForWarm(planned, 31)).toBe(false);
    expect(isDueForWarm(planned, -1)).toBe(false);
    expect(isDueForWarm(planned, 10, false)).toBe(true);
  });

  test('a self-tuned key whose value was not read since it was written is not refreshed', () => {
    const planned = { leadSeconds: 30, onlyIfRead: true };
    expect(isDueForWarm(planned, 10, false)).toBe(false);
    expect(isDueForWarm(planned, undefined, false)).toBe(false);
    expect(isDueForWarm(planned, 10, true)).toBe(true);
    expect(isDueForWarm(planned, undefined, true)).toBe(true);
    // No metadata to tell (a value the application wrote itself): warmed.
    expect(isDueForWarm(planned, 10, undefined)).toBe(true);
  });

  test('the critical pass warms what expires before the next look, unless expiringWithinSeconds is set', () => {
    expect(criticalLeadSeconds(selfTuned, 1)).toBe(60 + SELF_TUNING.leadMarginSeconds);
    expect(criticalLeadSeconds({ ...selfTuned, expiringWithinSeconds: 120 }, 1)).toBe(120);
  });
});

import {
  decideFates,
  efficiencyRating,
  percentile,
  summarizeByTask,
  summarizeWarms,
  warmCounterCells,
  type WarmRecord,
} from '../../core/warm-stats';

const warm = (taskId: string, ok: boolean, durationMs: number, fate: WarmRecord['fate'] = 'pending'): WarmRecord => ({
  taskId,
  ok,
  durationMs,
  atMs: 0,
  fate,
});

test('percentile uses nearest rank and is 0 for no values', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(values, 50)).toBe(50);
  expect(percentile(values, 95)).toBe(95);
  expect(percentile([7], 95)).toBe(7);
  expect(percentile([], 95)).toBe(0);
});

test('summarizes counts, durations of successful warms, and efficiency over warms with a known fate', () => {
  const summary = summarizeWarms([
    warm('a', true, 10, 'useful'),
    warm('a', true, 30, 'wasted'),
    warm('a', true, 20, 'useful'),
    warm('a', true, 40, 'pending'),
    warm('a', false, 5000),
  ]);
  expect(summary).toMatchObject({
    totalWarmings: 5,
    succeeded: 4,
    failed: 1,
    avgDurationMs: 25,
    p50DurationMs: 20,
    p95DurationMs: 40,
    fastestMs: 10,
    slowestMs: 40,
    useful: 2,
    wasted: 1,
    pending: 1,
    efficiencyScore: 66.7,
    efficiencyRating: 'poor',
  });
});

test('no warms give zeros, not NaN, and no efficiency label', () => {
  const { efficiencyRating: rating, ...counters } = summarizeWarms([]);
  expect(Object.values(counters).every((v) => v === 0)).toBe(true);
  expect(rating).toBeNull();
});

test('efficiency is labelled as the seed labels it: above 90 % excellent, above 80 % good, else poor', () => {
  expect(efficiencyRating(90.1, 10)).toBe('excellent');
  expect(efficiencyRating(90, 10)).toBe('good');
  expect(efficiencyRating(80.1, 10)).toBe('good');
  expect(efficiencyRating(80, 10)).toBe('poor');
  expect(efficiencyRating(0, 0)).toBeNull();
  const cells = warmCounterCells(summarizeWarms([warm('a', true, 10, 'useful')]), '-');
  expect(cells[cells.length - 1]).toBe('100% excellent');
});

test('groups the same counters by task', () => {
  const stats = summarizeByTask([warm('b', true, 1), warm('a', true, 2), warm('a', false, 3)]);
  expect(Object.keys(stats.byTask)).toEqual(['a', 'b']);
  expect(stats.byTask.a).toMatchObject({ totalWarmings: 2, succeeded: 1, failed: 1 });
  expect(stats.totalWarmings).toBe(3);
});

test('a warm is useful when the write replacing it saw reads, wasted when it saw none', () => {
  const fates = decideFates(
    [
      { version: 1, written: true },
      { version: 2, written: true, replaced: { version: 1, reads: 3 } },
      { version: 3, written: true, replaced: { version: 2, reads: 0 } },
      { version: 4, written: false },
    ],
    { version: 3, reads: 0, expiresAtMs: 10_000 },
    5_000,
  );
  expect(fates).toEqual(['useful', 'wasted', 'pending', 'wasted']);
});

test('the live value decides the last warm: read means useful, expired unread means wasted', () => {
  const warms = [{ version: 9, written: true }];
  expect(decideFates(warms, { version: 9, reads: 1, expiresAtMs: 10 }, 5)).toEqual(['useful']);
  expect(decideFates(warms, { version: 9, reads: 0, expiresAtMs: 10 }, 11)).toEqual(['wasted']);
  expect(decideFates(warms, { version: 8, reads: 5, expiresAtMs: 10 }, 5)).toEqual(['pending']);
  expect(decideFates(warms, null, 5)).toEqual(['pending']);
});

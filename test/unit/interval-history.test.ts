import { clipIntervalHistory, intervalHistory, type IntervalEvent } from '../../core/interval-history';

const fixed = { intervalMinutes: 60, adaptive: false };
const adaptive = { intervalMinutes: 60, adaptive: true };

test('a changed configured interval applied by update is a step; an unrelated change is not', () => {
  const events: IntervalEvent[] = [
    { kind: 'start', atMs: 0, spec: fixed },
    { kind: 'apply', atMs: 10, spec: { ...fixed } },
    { kind: 'apply', atMs: 20, spec: { intervalMinutes: 30, adaptive: false } },
  ];
  expect(intervalHistory(events)).toEqual([
    { atMs: 0, intervalMinutes: 60, cause: 'start' },
    { atMs: 20, intervalMinutes: 30, cause: 'apply' },
  ]);
});

test('setInterval re-plans only adaptive tasks, only within the range the workflow accepts', () => {
  const events: IntervalEvent[] = [
    { kind: 'start', atMs: 0, spec: adaptive },
    { kind: 'setInterval', atMs: 5, intervalMinutes: 15, reason: 'hot' },
    { kind: 'setInterval', atMs: 6, intervalMinutes: 0 },
    { kind: 'setInterval', atMs: 7, intervalMinutes: 99_999 },
    { kind: 'setInterval', atMs: 8, intervalMinutes: 15 },
    // Turning adaptivity off resets to the configured interval; later re-plans are ignored.
    { kind: 'apply', atMs: 10, spec: { intervalMinutes: 60, adaptive: false } },
    { kind: 'setInterval', atMs: 12, intervalMinutes: 120 },
  ];
  expect(intervalHistory(events)).toEqual([
    { atMs: 0, intervalMinutes: 60, cause: 'start' },
    { atMs: 5, intervalMinutes: 15, cause: 'setInterval', reason: 'hot' },
    { atMs: 10, intervalMinutes: 60, cause: 'apply' },
  ]);
});

test('continue-as-new carries the interval on; a re-created task starts from its config again', () => {
  const events: IntervalEvent[] = [
    { kind: 'start', atMs: 0, spec: adaptive },
    { kind: 'setInterval', atMs: 5, intervalMinutes: 30 },
    { kind: 'start', atMs: 9, spec: adaptive, carriedIntervalMinutes: 30 },
    { kind: 'start', atMs: 20, spec: adaptive },
  ];
  expect(intervalHistory(events).map((p) => [p.atMs, p.intervalMinutes, p.cause])).toEqual([
    [0, 60, 'start'],
    [5, 30, 'setInterval'],
    [20, 60, 'start'],
  ]);
});

test('clipping to a window keeps the value in effect at its start, then the changes inside it', () => {
  const points = intervalHistory([
    { kind: 'start', atMs: 0, spec: adaptive },
    { kind: 'setInterval', atMs: 5, intervalMinutes: 30 },
    { kind: 'setInterval', atMs: 15, intervalMinutes: 15 },
  ]);
  expect(clipIntervalHistory(points, 10).map((p) => [p.atMs, p.intervalMinutes])).toEqual([
    [10, 30],
    [15, 15],
  ]);
  expect(clipIntervalHistory(points)).toEqual(points);
});

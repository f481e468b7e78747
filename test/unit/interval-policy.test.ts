import fc from 'fast-check';
import { DEFAULT_COLD_INTERVAL_MINUTES, DEFAULT_INTERVAL_RULES, type IntervalRule } from '../../core/config-schema';
import { accessFrequencyPerMinute, intervalForFrequency } from '../../core/interval-policy';

const defaults = (f: number) => intervalForFrequency(f, DEFAULT_INTERVAL_RULES, DEFAULT_COLD_INTERVAL_MINUTES);

describe('the default table', () => {
  test.each([
    [100, 15],
    [1.000001, 15],
    [1, 30],
    [0.500001, 30],
    [0.5, 60],
    [0.100001, 60],
    [0.1, 120],
    [0.01, 120],
    [0, 120],
  ])('f = %p per minute warms every %p minutes', (f, interval) => {
    expect(defaults(f)).toBe(interval);
  });

  test('boundaries hold for frequencies computed from counts over the default 60-minute window', () => {
    expect(defaults(accessFrequencyPerMinute(61, 60))).toBe(15);
    expect(defaults(accessFrequencyPerMinute(60, 60))).toBe(30);
    expect(defaults(accessFrequencyPerMinute(30, 60))).toBe(60);
    expect(defaults(accessFrequencyPerMinute(7, 60))).toBe(60);
    expect(defaults(accessFrequencyPerMinute(6, 60))).toBe(120);
  });

  test('NaN counts as cold', () => {
    expect(defaults(Number.NaN)).toBe(120);
  });
});

describe('accessFrequencyPerMinute', () => {
  test('is accesses divided by the window', () => {
    expect(accessFrequencyPerMinute(90, 60)).toBe(1.5);
    expect(accessFrequencyPerMinute(0, 5)).toBe(0);
  });

  test('rejects a window that is not positive and a negative count, naming the field', () => {
    expect(() => accessFrequencyPerMinute(1, 0)).toThrow(/windowMinutes/);
    expect(() => accessFrequencyPerMinute(1, Number.NaN)).toThrow(/windowMinutes/);
    expect(() => accessFrequencyPerMinute(-1, 60)).toThrow(/count/);
  });
});

/** Rule sets the config schema accepts: 1..6 rules, aboveFrequency strictly decreasing, any intervals. */
const ruleSets: fc.Arbitrary<IntervalRule[]> = fc
  .uniqueArray(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 1, maxLength: 6 })
  .chain((thresholds) =>
    fc.tuple(
      fc.constant([...thresholds].sort((a, b) => b - a)),
      fc.array(fc.double({ min: 0.01, max: 7 * 24 * 60, noNaN: true }), {
        minLength: thresholds.length,
        maxLength: thresholds.length,
      }),
    ),
  )
  .map(([thresholds, intervals]) =>
    thresholds.map((aboveFrequency, i) => ({ aboveFrequency, intervalMinutes: intervals[i] as number })),
  );
const coldIntervals = fc.double({ min: 0.01, max: 7 * 24 * 60, noNaN: true });
const frequencies = fc.oneof(fc.double({ min: 0, max: 2000, noNaN: true }), fc.constantFrom(0, 0.1, 0.5, 1, 1000));

describe('properties', () => {
  test('a hotter key never gets a longer interval, for any valid rule set', () => {
    fc.assert(
      fc.property(ruleSets, coldIntervals, frequencies, frequencies, (rules, cold, a, b) => {
        const [colder, hotter] = a <= b ? [a, b] : [b, a];
        expect(intervalForFrequency(hotter, rules, cold)).toBeLessThanOrEqual(
          intervalForFrequency(colder, rules, cold),
        );
      }),
    );
  });

  test('the interval is always one of the configured intervals', () => {
    fc.assert(
      fc.property(ruleSets, coldIntervals, frequencies, (rules, cold, f) => {
        const configured = [cold, ...rules.map((rule) => rule.intervalMinutes)];
        expect(configured).toContain(intervalForFrequency(f, rules, cold));
      }),
    );
  });

  test('with intervals growing down the list, the first rule the frequency passes decides', () => {
    fc.assert(
      fc.property(ruleSets, frequencies, (rules, f) => {
        const sorted = rules.map((rule) => rule.intervalMinutes).sort((x, y) => x - y);
        const ordered = rules.map((rule, i) => ({ ...rule, intervalMinutes: sorted[i] as number }));
        const cold = (sorted[sorted.length - 1] as number) + 1;
        const first = ordered.find((rule) => f > rule.aboveFrequency);
        expect(intervalForFrequency(f, ordered, cold)).toBe(first ? first.intervalMinutes : cold);
      }),
    );
  });

  test('the default table is monotonic', () => {
    fc.assert(
      fc.property(frequencies, frequencies, (a, b) => {
        expect(defaults(Math.max(a, b))).toBeLessThanOrEqual(defaults(Math.min(a, b)));
      }),
    );
  });
});

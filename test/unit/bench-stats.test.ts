import { percentile, round, summarize } from '../../bench/stats';

describe('percentile', () => {
  test('interpolates between closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 25)).toBe(20);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
  });

  test('gives the extremes at 0 and 100 whatever the input order', () => {
    expect(percentile([5, 1, 9, 3], 0)).toBe(1);
    expect(percentile([5, 1, 9, 3], 100)).toBe(9);
  });

  test('of one value is that value', () => {
    expect(percentile([7], 99)).toBe(7);
  });

  test('refuses an empty list or a p outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(/p must be/);
    expect(() => percentile([1], Number.NaN)).toThrow(/p must be/);
  });

  test('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  test('gives min, median, max and count of the repeats', () => {
    expect(summarize([4, 1, 3])).toEqual({ min: 1, median: 3, max: 4, n: 3 });
    expect(summarize([2, 4])).toEqual({ min: 2, median: 3, max: 4, n: 2 });
  });
});

describe('round', () => {
  test('keeps significant digits at any magnitude', () => {
    expect(round(123456.789, 4)).toBe(123500);
    expect(round(0.00123456, 3)).toBe(0.00123);
    expect(round(-2.34567, 2)).toBe(-2.3);
    expect(round(0)).toBe(0);
  });
});

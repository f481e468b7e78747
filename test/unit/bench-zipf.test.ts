import { mulberry32, ZipfSampler } from '../../bench/zipf';

describe('mulberry32', () => {
  test('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const first = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(first[0]);
  });
});

describe('ZipfSampler', () => {
  test('gives rank r a probability proportional to 1/(r+1)^s', () => {
    const zipf = new ZipfSampler(100, 0.99);
    const total = Array.from({ length: 100 }, (_, r) => zipf.probability(r)).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 10);
    expect(zipf.probability(0) / zipf.probability(9)).toBeCloseTo(10 ** 0.99, 6);
  });

  test('maps uniform numbers onto ranks through the cumulative table', () => {
    const zipf = new ZipfSampler(3, 0);
    expect(zipf.rank(0)).toBe(0);
    expect(zipf.rank(0.34)).toBe(1);
    expect(zipf.rank(0.999)).toBe(2);
  });

  test('draws ranks with frequencies close to their probabilities', () => {
    const zipf = new ZipfSampler(1000, 0.99);
    const draws = zipf.draw(200_000, mulberry32(7));
    const top = draws.filter((r) => r === 0).length / draws.length;
    expect(top).toBeCloseTo(zipf.probability(0), 2);
    expect(draws.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(1000);
  });

  test('refuses an empty range or a negative exponent', () => {
    expect(() => new ZipfSampler(0, 1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, -1)).toThrow(RangeError);
  });
});

// The Pay-As-You-Go action price (bench/cloud-pricing.ts) against the published page's own example.
import { actionsUsd, PUBLISHED_UP_TO } from '../../bench/cloud-pricing';

describe('actionsUsd', () => {
  test("bills 11.25 M actions $525, the pricing page's example (5 M at $50, 5 M at $45, 1.25 M at $40)", () => {
    expect(actionsUsd(11.25e6)).toBeCloseTo(525, 6);
  });

  test('prices the first tier at $50 a million and each tier boundary exactly', () => {
    expect(actionsUsd(0)).toBe(0);
    expect(actionsUsd(1e6)).toBeCloseTo(50, 6);
    expect(actionsUsd(5e6)).toBeCloseTo(250, 6);
    expect(actionsUsd(200e6)).toBeCloseTo(250 + 225 + 400 + 1050 + 1500 + 2500, 6);
  });

  test('has no price past the last published tier, and refuses a negative count', () => {
    expect(actionsUsd(PUBLISHED_UP_TO + 1)).toBeUndefined();
    expect(() => actionsUsd(-1)).toThrow('actions must be a non-negative number (got -1)');
  });
});

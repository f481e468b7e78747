import {
  formatMarkdown,
  formatNumber,
  formatTarget,
  makeRow,
  meetsTarget,
  type RowInput,
} from '../../bench/bench-report';
import { axisBounds, ratioChartSvg } from '../../bench/ratio-chart';

const input: RowInput = {
  name: 'bulk-warm-10k',
  unit: 'ms',
  baseline: 'plain script',
  value: { min: 290, median: 300, max: 330, n: 3 },
  baselineValue: { min: 190, median: 200, max: 210, n: 3 },
  better: 'lower',
  workload: '10 000 keys',
  temporalPersistence: 'in-memory',
  target: { op: '<=', value: 2 },
  params: { keys: 10_000 },
};

describe('makeRow', () => {
  test('has the contract fields, medians as values and their ratio', () => {
    const row = makeRow(input);
    expect(Object.keys(row)).toEqual(['name', 'value', 'unit', 'baseline', 'baselineValue', 'ratio', 'params']);
    expect(row).toMatchObject({ name: 'bulk-warm-10k', value: 300, unit: 'ms', baselineValue: 200, ratio: 1.5 });
  });

  test('names the workload and the persistence, and keeps both spreads and extra params', () => {
    const { params } = makeRow(input);
    expect(params).toMatchObject({
      workload: '10 000 keys',
      temporalPersistence: 'in-memory',
      better: 'lower',
      spread: { min: 290, median: 300, max: 330, n: 3 },
      baselineSpread: { min: 190, median: 200, max: 210, n: 3 },
      keys: 10_000,
    });
  });

  test('has a null ratio without a baseline or with a zero baseline', () => {
    expect(makeRow({ ...input, baselineValue: null })).toMatchObject({ baselineValue: null, ratio: null });
    expect(makeRow({ ...input, baselineValue: { min: 0, median: 0, max: 0, n: 1 } }).ratio).toBeNull();
  });

  test('survives a JSON round trip unchanged', () => {
    const row = makeRow(input);
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });
});

describe('meetsTarget', () => {
  test('reads the target both ways and is undefined without one', () => {
    expect(meetsTarget(makeRow(input))).toBe(true);
    expect(meetsTarget(makeRow({ ...input, target: { op: '<=', value: 1.2 } }))).toBe(false);
    expect(meetsTarget(makeRow({ ...input, target: { op: '>=', value: 1.2 } }))).toBe(true);
    const { target: _target, ...noTarget } = input;
    expect(meetsTarget(makeRow(noTarget))).toBeUndefined();
  });
});

describe('formatMarkdown', () => {
  test('writes one table line per row with spreads, ratio and whether the target is met', () => {
    const text = formatMarkdown([makeRow(input), makeRow({ ...input, name: 'slow', target: { op: '<=', value: 1 } })], {
      startedAt: '2026-11-25T00:00:00.000Z',
      mode: 'quick',
      temporalPersistence: 'in-memory',
      machine: '2 cores',
      durationSeconds: 12,
    });
    const lines = text.trim().split('\n');
    expect(lines[0]).toContain('quick, Temporal in-memory, 12 s');
    expect(lines).toContain('| bulk-warm-10k | 300 ms [290-330] | plain script | 200 [190-210] | 1.5 | <= 2 | yes |');
    expect(lines[lines.length - 1]).toContain('| **no** |');
  });
});

describe('formatNumber', () => {
  test('groups thousands and keeps three significant digits below', () => {
    expect(formatNumber(123456.7)).toBe('123,457');
    expect(formatNumber(1.23456)).toBe('1.23');
    expect(formatNumber(null)).toBe('-');
  });
});

describe('ratioChartSvg', () => {
  test('draws a bar and a label per row with a ratio, and escapes text', () => {
    const rows = [makeRow(input), makeRow({ ...input, name: 'a<b', baselineValue: null })];
    const svg = ratioChartSvg(rows, 'title & more');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('title &amp; more');
    expect(svg).toContain('>bulk-warm-10k<');
    expect(svg).not.toContain('a<b');
    expect(svg.match(/<rect /g)).toHaveLength(2); // background + one bar
  });

  test('spans every ratio in powers of two, always including 1', () => {
    expect(axisBounds([1.5, 0.3])).toEqual({ low: 0.25, high: 2 });
    expect(axisBounds([70])).toEqual({ low: 0.5, high: 128 });
  });
});

describe('difference targets', () => {
  test('compare value minus baseline value, in the row unit', () => {
    const login = { ...input, name: 'login-p99', target: { op: '<=' as const, value: 250, of: 'difference' as const } };
    expect(meetsTarget(makeRow(login))).toBe(true); // 300 - 200 = 100 ms
    expect(
      meetsTarget(makeRow({ ...login, value: { min: 500, median: 500, max: 500, n: 1 } })), // 300 ms beyond
    ).toBe(false);
    expect(formatTarget(makeRow(login))).toBe('value - baseline <= 250 ms');
  });
});

describe('value targets', () => {
  test('compare the value itself, with or without a baseline', () => {
    const events = {
      ...input,
      name: 'login-history-events',
      unit: 'events',
      value: { min: 14, median: 14, max: 14, n: 1 },
      target: { op: '<=' as const, value: 15, of: 'value' as const },
    };
    expect(meetsTarget(makeRow(events))).toBe(true);
    expect(meetsTarget(makeRow({ ...events, baselineValue: null }))).toBe(true);
    expect(meetsTarget(makeRow({ ...events, value: { min: 27, median: 27, max: 27, n: 1 } }))).toBe(false);
    expect(formatTarget(makeRow(events))).toBe('value <= 15 events');
  });
});

// The benchmark's result rows (the contract's JSON shape) and their markdown table. Pure.
import { round, roundSpread, type Spread } from './stats';

/** Where Temporal keeps its state during the run: the file mode is several times slower. */
export type TemporalPersistence = 'in-memory' | 'sqlite';

/**
 * A target on the ratio (`ratio <= value`), with `of: 'difference'` on value - baseline value in
 * the row's unit (`login p99 at most 250 ms beyond the loaders' own`), or with `of: 'value'` on
 * the value itself (`at most 15 history events per login`).
 */
export interface RatioTarget {
  op: '<=' | '>=';
  value: number;
  of?: 'ratio' | 'difference' | 'value';
}

export interface BenchParams {
  /** What ran, in words a reader can repeat. */
  workload: string;
  temporalPersistence: TemporalPersistence;
  /** Whether a lower or a higher value is better. */
  better: 'lower' | 'higher';
  /** The value's spread over repeats (`value` is its median). */
  spread: Spread;
  /** The baseline's spread over the same repeats, when there is a baseline. */
  baselineSpread?: Spread;
  target?: RatioTarget;
  [key: string]: unknown;
}

/** One row of `bench/results/latest.json`, as the contract defines it. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number | null;
  /** value / baselineValue, both measured in the same run; null without a baseline. */
  ratio: number | null;
  params: BenchParams;
}

export interface RowInput {
  name: string;
  unit: string;
  baseline: string;
  value: Spread;
  baselineValue: Spread | null;
  better: 'lower' | 'higher';
  workload: string;
  temporalPersistence: TemporalPersistence;
  target?: RatioTarget;
  params?: Record<string, unknown>;
}

/** Builds a row from spreads: value and baseline value are medians, the ratio is theirs. */
export function makeRow(input: RowInput): BenchRow {
  const value = roundSpread(input.value);
  const baseline = input.baselineValue ? roundSpread(input.baselineValue) : null;
  const baselineMedian = input.baselineValue?.median ?? 0;
  const ratio = baseline && baselineMedian !== 0 ? round(input.value.median / baselineMedian, 3) : null;
  return {
    name: input.name,
    value: value.median,
    unit: input.unit,
    baseline: input.baseline,
    baselineValue: baseline ? baseline.median : null,
    ratio,
    params: {
      workload: input.workload,
      temporalPersistence: input.temporalPersistence,
      better: input.better,
      spread: value,
      ...(baseline ? { baselineSpread: baseline } : {}),
      ...(input.target ? { target: input.target } : {}),
      ...input.params,
    },
  };
}

/** Whether the row meets its target; undefined when it has none or no ratio. */
export function meetsTarget(row: BenchRow): boolean | undefined {
  const target = row.params.target;
  if (!target) return undefined;
  if (target.of === 'value') return target.op === '<=' ? row.value <= target.value : row.value >= target.value;
  if (row.ratio === null || row.baselineValue === null) return undefined;
  const measured = target.of === 'difference' ? row.value - row.baselineValue : row.ratio;
  return target.op === '<=' ? measured <= target.value : measured >= target.value;
}

/** A target for people: `<= 2` for a ratio, `diff <= 250 ms` for a difference, `value <= 15 events`. */
export function formatTarget(row: BenchRow): string {
  const target = row.params.target;
  if (!target) return '-';
  if (target.of === 'value') return `value ${target.op} ${target.value} ${row.unit}`;
  return target.of === 'difference'
    ? `value - baseline ${target.op} ${target.value} ${row.unit}`
    : `${target.op} ${target.value}`;
}

/** A number for people: three significant digits, thousands grouped. */
export function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '-';
  const rounded = Math.abs(value) >= 1000 ? Math.round(value) : round(value, 3);
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export interface TableMeta {
  /** ISO time the run started. */
  startedAt: string;
  mode: 'quick' | 'full';
  temporalPersistence: TemporalPersistence;
  /** One line about the machine. */
  machine: string;
  durationSeconds: number;
}

/** The markdown table written beside the JSON (and pasted into docs/PERFORMANCE.md). */
export function formatMarkdown(rows: readonly BenchRow[], meta: TableMeta): string {
  const lines = [
    `Benchmark run ${meta.startedAt} (${meta.mode}, Temporal ${meta.temporalPersistence}, ${meta.durationSeconds} s) on ${meta.machine}.`,
    'Value and baseline are medians over repeats (min-max in brackets); ratio = value / baseline from the same run.',
    '',
    '| benchmark | value | baseline | baseline value | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const spread = row.params.spread;
    const baseSpread = row.params.baselineSpread;
    const met = meetsTarget(row);
    lines.push(
      [
        '',
        row.name,
        `${formatNumber(row.value)} ${row.unit} [${formatNumber(spread.min)}-${formatNumber(spread.max)}]`,
        row.baseline,
        row.baselineValue === null
          ? '-'
          : `${formatNumber(row.baselineValue)}${baseSpread ? ` [${formatNumber(baseSpread.min)}-${formatNumber(baseSpread.max)}]` : ''}`,
        formatNumber(row.ratio),
        formatTarget(row),
        met === undefined ? '-' : met ? 'yes' : '**no**',
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  return `${lines.join('\n')}\n`;
}

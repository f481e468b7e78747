// bulkWarmWorkflow: warms a range or list of keys of one template now, in batched activities with
// pipelined writes (a catalogue import, a pre-launch warm). Only ids travel; values go to Redis.
import { ApplicationFailure } from '@temporalio/workflow';
import type { LoaderSpec } from '../core/config-schema';
import { warmInBatches, type BatchOptions, type BatchTotals } from './warm-in-batches';

export interface BulkWarmInput extends BatchOptions {
  /** Key template, e.g. `product:{id}`, and its loader (placeholders from `vars` or `idRange`). */
  template: { key: string; loader: LoaderSpec; ttlSeconds: number; tags?: string[] };
  /** `{id}` from `from` to `to - 1`. */
  idRange?: { from: number; to: number };
  /** Explicit placeholder values, one object per key. */
  vars?: Record<string, string>[];
}

export interface BulkWarmResult extends BatchTotals {
  keys: number;
  durationMs: number;
}

/** Keys one bulk warm takes at most (an `idRange` or `vars`). */
const MAX_BULK_KEYS = 1_000_000;

export async function bulkWarmWorkflow(rawInput: BulkWarmInput): Promise<BulkWarmResult> {
  const problem = bulkWarmInputProblem(rawInput);
  if (problem) throw ApplicationFailure.nonRetryable(`bulkWarmWorkflow input refused: ${problem}`, 'BadInput');
  const input = rawInput;
  const started = Date.now();
  const vars = [...(input.vars ?? [])];
  if (input.idRange) for (let id = input.idRange.from; id < input.idRange.to; id++) vars.push({ id: String(id) });
  const totals = await warmInBatches(
    {
      key: input.template.key,
      loader: input.template.loader,
      ttlSeconds: input.template.ttlSeconds,
      tags: input.template.tags ?? [],
      source: `bulk:${input.template.key}`,
    },
    vars,
    input,
  );
  return { ...totals, keys: vars.length, durationMs: Date.now() - started };
}

/**
 * Why a bulk warm's input cannot be served, or undefined: checked before anything runs, so a bad
 * start fails the workflow with one line naming the field. The template's key and loader are
 * checked again, in full, by the warmBatch activity that uses them.
 */
function bulkWarmInputProblem(input: unknown): string | undefined {
  if (!isRecord(input)) return 'input must be an object';
  const { template, idRange, vars, batchSize, parallelBatches } = input;
  if (!isRecord(template)) return 'template must be an object';
  if (typeof template.key !== 'string' || template.key === '') return 'template.key must be a non-empty string';
  if (!isRecord(template.loader) || typeof template.loader.type !== 'string') return 'template.loader must be a loader';
  if (typeof template.ttlSeconds !== 'number' || !(template.ttlSeconds > 0))
    return 'template.ttlSeconds must be positive';
  if (
    template.tags !== undefined &&
    !(Array.isArray(template.tags) && template.tags.every((t) => typeof t === 'string'))
  ) {
    return 'template.tags must be an array of strings';
  }
  let keys = 0;
  if (idRange !== undefined) {
    if (!isRecord(idRange) || !Number.isSafeInteger(idRange.from) || !Number.isSafeInteger(idRange.to)) {
      return 'idRange must be { from, to } with integers';
    }
    keys += Math.max(0, (idRange.to as number) - (idRange.from as number));
  }
  if (vars !== undefined) {
    if (!Array.isArray(vars)) return 'vars must be an array';
    const bad = vars.findIndex((v) => !isRecord(v) || !Object.values(v).every((value) => typeof value === 'string'));
    if (bad >= 0) return `vars[${bad}] must be an object of strings`;
    keys += vars.length;
  }
  if (keys > MAX_BULK_KEYS) {
    return `${idRange !== undefined ? 'idRange' : 'vars'}: at most ${MAX_BULK_KEYS} keys per bulk warm (got ${keys})`;
  }
  for (const [name, value, max] of [
    ['batchSize', batchSize, 5_000],
    ['parallelBatches', parallelBatches, 64],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max)) {
      return `${name} must be an integer from 1 to ${max}`;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

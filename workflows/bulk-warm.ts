// bulkWarmWorkflow: warms a range or list of keys of one template now, in batched activities with
// pipelined writes (a catalogue import, a pre-launch warm). Only ids travel; values go to Redis.
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

export async function bulkWarmWorkflow(input: BulkWarmInput): Promise<BulkWarmResult> {
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

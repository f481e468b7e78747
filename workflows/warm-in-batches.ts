// Warms many keys of one template with warmBatch activities: fixed-size batches, a few in flight
// at once. Shared by the optimiser's pattern warming and bulkWarmWorkflow.
import { log, proxyActivities } from '@temporalio/workflow';
import type { OptimizerActivities, WarmBatchInput } from '../activities/optimizer-activities';

const { warmBatch } = proxyActivities<OptimizerActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

export interface BatchTotals {
  warmed: number;
  superseded: number;
  failed: number;
  batches: number;
}

export interface BatchOptions {
  /** Keys per warmBatch activity. Default 500. */
  batchSize?: number;
  /** warmBatch activities in flight at once. Default 4. */
  parallelBatches?: number;
}

export async function warmInBatches(
  template: WarmBatchInput['template'],
  vars: Record<string, string>[],
  options: BatchOptions = {},
): Promise<BatchTotals> {
  const batchSize = options.batchSize ?? 500;
  const parallel = options.parallelBatches ?? 4;
  const totals: BatchTotals = { warmed: 0, superseded: 0, failed: 0, batches: 0 };
  const batches: Record<string, string>[][] = [];
  for (let i = 0; i < vars.length; i += batchSize) batches.push(vars.slice(i, i + batchSize));
  let next = 0;
  // A small pool: a new batch starts as soon as one finishes.
  const lane = async () => {
    while (next < batches.length) {
      const batch = batches[next++] as Record<string, string>[];
      const result = await warmBatch({ template, vars: batch });
      totals.warmed += result.written;
      totals.superseded += result.superseded;
      totals.failed += result.failed;
      totals.batches++;
      if (result.failed > 0) log.warn('keys failed to load', { template: template.key, failures: result.failures });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, lane));
  return totals;
}

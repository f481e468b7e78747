// The results of fleet operations a task's warms served, kept in its `WarmBatches` search attribute
// (newest few only) so `warmctl` can count a fleet warm's outcome by visibility query.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { WARM_BATCHES } from './search-attributes';

/** How many fleet operations' results a task keeps in `WarmBatches`. */
const MAX_BATCH_RESULTS = 16;

/** Adds this warm's result for each fleet operation it served to `WarmBatches`, keeping the newest few. */
export function recordBatchResults(batches: readonly string[], ok: boolean): void {
  const previous = workflowInfo().typedSearchAttributes.get(WARM_BATCHES) ?? [];
  const results = batches.map((batch) => `${batch}:${ok ? 'ok' : 'failed'}`);
  upsertSearchAttributes([{ key: WARM_BATCHES, value: [...previous, ...results].slice(-MAX_BATCH_RESULTS) }]);
}

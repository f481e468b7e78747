// Starting bulk warms of many keys of one template from a client: the keys' placeholder values are
// cut into parts that each fit one workflow input, one bulkWarmWorkflow per part.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { boundedText, chunkByBytes, TEMPORAL_LIMITS } from '../core/temporal-limits';
import { bulkWarmWorkflow, type BulkWarmInput } from '../workflows';

/** Keys' placeholder values one bulk warm takes, as JSON: half of Temporal's 2 MB payload limit. */
export const BULK_INPUT_BUDGET_BYTES = 1024 * 1024;

/** One started bulk warm: its handle and how many keys it warms. */
export interface StartedBulkWarm {
  handle: WorkflowHandle<typeof bulkWarmWorkflow>;
  keys: number;
}

/**
 * Starts one bulk warm per part of `vars` that fits a workflow input (Temporal refuses one over
 * 2 MB), on `taskQueue`. `workflowId(nonce)` names each; `summary(keys)` is its static summary.
 */
export function startBulkWarms(
  temporal: Client,
  taskQueue: string,
  template: BulkWarmInput['template'],
  vars: readonly Record<string, string>[],
  naming: { workflowId: (nonce: string) => string; summary: (keys: number) => string },
  budgetBytes: number = BULK_INPUT_BUDGET_BYTES,
): Promise<StartedBulkWarm[]> {
  return Promise.all(
    chunkByBytes(vars, budgetBytes).map(async (part) => ({
      keys: part.length,
      handle: await temporal.workflow.start(bulkWarmWorkflow, {
        workflowId: naming.workflowId(randomUUID()),
        taskQueue,
        args: [{ template, vars: part }],
        staticSummary: boundedText(naming.summary(part.length), TEMPORAL_LIMITS.summaryBytes),
      }),
    })),
  );
}

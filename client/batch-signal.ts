// Signals every workflow a visibility query matches, fanned out by Temporal rather than by the
// client: one batch operation (StartBatchOperation with a signal operation) that the server runs
// and reports on. Where the server refuses batch operations (disabled, the namespace's limit of
// concurrent batch jobs reached, or credentials that may not) it falls back to signalling from the
// client, a bounded number at a time.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { mapLimit } from '../core/map-limit';

export interface BatchSignalOptions {
  /** Visibility query of the workflows to signal. */
  query: string;
  /** Signal name. */
  signal: string;
  /** The signal's single argument. */
  payload?: unknown;
  /** Why (recorded with the batch job). */
  reason: string;
  /** Signals in flight when the client fans out itself. Default 32. */
  parallel?: number;
  /** How often the batch job's progress is read. Default 500 ms. */
  pollMs?: number;
  /** Hears signals delivered: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface BatchSignalResult {
  /** Who fanned out: a server-side batch job, or the client (why in `fallbackReason`). */
  mode: 'batch' | 'client';
  jobId?: string;
  fallbackReason?: string;
  /** Workflows signalled (matched, for a batch job). */
  signalled: number;
  /** Signals that failed (workflow closed meanwhile, for instance). */
  failed: number;
}

/** gRPC codes that mean "no batch job here": fan out from the client instead. */
const NO_BATCH_CODES = new Set([
  7, // PERMISSION_DENIED
  8, // RESOURCE_EXHAUSTED: the namespace's concurrent batch jobs are all taken
  9, // FAILED_PRECONDITION
  12, // UNIMPLEMENTED: batch operations disabled
]);

export async function signalByQuery(client: Client, options: BatchSignalOptions): Promise<BatchSignalResult> {
  const namespace = client.options.namespace;
  const jobId = `cw-${randomUUID()}`;
  const converter = client.options.loadedDataConverter.payloadConverter;
  const input = options.payload === undefined ? undefined : { payloads: [converter.toPayload(options.payload)] };
  try {
    await client.workflowService.startBatchOperation({
      namespace,
      jobId,
      reason: options.reason,
      visibilityQuery: options.query,
      signalOperation: { signal: options.signal, input, identity: client.options.identity },
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'number' || !NO_BATCH_CODES.has(code)) throw err;
    const details = (err as { details?: unknown }).details;
    return signalFromClient(client, options, typeof details === 'string' ? details : `gRPC code ${code}`);
  }
  const states = temporal.api.enums.v1.BatchOperationState;
  for (;;) {
    const job = await client.workflowService.describeBatchOperation({ namespace, jobId });
    const total = Number(job.totalOperationCount ?? 0);
    const failed = Number(job.failureOperationCount ?? 0);
    const done = Number(job.completeOperationCount ?? 0) + failed;
    if (job.state !== states.BATCH_OPERATION_STATE_RUNNING && job.state !== states.BATCH_OPERATION_STATE_UNSPECIFIED) {
      if (job.state === states.BATCH_OPERATION_STATE_FAILED)
        throw new Error(`batch job ${jobId} failed after ${done} of ${total} signals`);
      options.onProgress?.(total, total);
      return { mode: 'batch', jobId, signalled: total - failed, failed };
    }
    if (total > 0) options.onProgress?.(done, total);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

async function signalFromClient(
  client: Client,
  options: BatchSignalOptions,
  fallbackReason: string,
): Promise<BatchSignalResult> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: options.query })) ids.push(execution.workflowId);
  let done = 0;
  let failed = 0;
  await mapLimit(ids, options.parallel ?? 32, async (workflowId) => {
    try {
      const args = options.payload === undefined ? [] : [options.payload];
      await client.workflow.getHandle(workflowId).signal(options.signal, ...args);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      failed++; // closed since it was listed
    }
    options.onProgress?.(++done, ids.length);
  });
  return { mode: 'client', fallbackReason, signalled: ids.length - failed, failed };
}

// Workflow interceptor for tests (bundled into a test worker's workflows): just before a login
// shard starts the first preload child of a user whose id begins with `id-taken-`, it starts
// another workflow under that very child id, on a queue no worker polls, as a second starter
// preloading the same user in the same millisecond would. The shard's own start then meets a
// taken id on the server (WORKFLOW_ALREADY_EXISTS), for real.
import {
  ParentClosePolicy,
  startChild,
  workflowInfo,
  type StartChildWorkflowExecutionInput,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** Users whose first preload child id is taken. */
export const ID_TAKEN_USER_PREFIX = 'id-taken-';
/** The workflow type of the holder of the id (no worker runs it). */
export const ID_HOLDER_TYPE = 'preloadIdHolder';
/** The queue the holders wait on: `<shard's queue>-nobody`. */
export const ID_HOLDER_QUEUE_SUFFIX = '-nobody';

const PRELOAD_HEAD = `preload-user:${ID_TAKEN_USER_PREFIX}`;

class PreloadIdTaker implements WorkflowOutboundCallsInterceptor {
  private readonly taken = new Set<string>();

  async startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Parameters<NonNullable<WorkflowOutboundCallsInterceptor['startChildWorkflowExecution']>>[1],
  ): ReturnType<NonNullable<WorkflowOutboundCallsInterceptor['startChildWorkflowExecution']>> {
    const workflowId = input.options.workflowId;
    if (input.workflowType === 'preloadUserWorkflow' && workflowId?.startsWith(PRELOAD_HEAD)) {
      const userId = workflowId.slice('preload-user:'.length, workflowId.lastIndexOf(':'));
      if (!this.taken.has(userId)) {
        this.taken.add(userId);
        const holder = await startChild(ID_HOLDER_TYPE, {
          workflowId,
          taskQueue: `${workflowInfo().taskQueue}${ID_HOLDER_QUEUE_SUFFIX}`,
          workflowExecutionTimeout: '5m',
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
        // The test terminates the holder; its end must not fail the shard's workflow task.
        holder.result().catch(() => undefined);
      }
    }
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new PreloadIdTaker()] });

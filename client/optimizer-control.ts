// The warming client's optimiser: one cycle now, its status, pausing its background cycles, and
// the start-or-signal every apply sends it.
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import {
  configAppliedSignal,
  optimizerStatusQuery,
  optimizerWorkflow,
  pauseSignal,
  resumeSignal,
  runCycleUpdate,
  type CycleReport,
  type OptimizerStatus,
} from '../workflows';
import { isRunning, updateWhenAccepted, withWorker, type DeploymentContext } from './deployment-context';

/** The deployment's optimiser workflow (one per deployment, `optimizerWorkflowId`). */
export class OptimizerControl {
  constructor(private readonly context: DeploymentContext) {}

  /** Runs one optimiser cycle now (starting the optimiser if needed) and returns its report. */
  async runCycle(): Promise<CycleReport> {
    const handle = await this.notify();
    return updateWhenAccepted(
      this.context,
      handle.startUpdate(runCycleUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED }),
      'optimize',
    );
  }

  /** The optimiser's status: paused, cycles, next cycle, last report. */
  async status(): Promise<OptimizerStatus> {
    const { temporal, optimizerWorkflowId } = this.context;
    const handle = temporal.workflow.getHandle<typeof optimizerWorkflow>(optimizerWorkflowId);
    if (!(await isRunning(handle)))
      throw new Error(`the optimiser (${optimizerWorkflowId}) is not running: apply a config first`);
    return withWorker(this.context, handle.query(optimizerStatusQuery), 'optimizer status');
  }

  /** Stops (true) or restarts (false) the optimiser's background cycles; `runCycle` still works. */
  async pause(paused: boolean): Promise<void> {
    const handle = await this.notify();
    await handle.signal(paused ? pauseSignal : resumeSignal);
  }

  /** Starts the optimiser if it is not running, and tells it to re-read its settings. */
  async notify(): Promise<WorkflowHandle<typeof optimizerWorkflow>> {
    const { instance } = this.context;
    return this.context.temporal.workflow.signalWithStart(optimizerWorkflow, {
      workflowId: this.context.optimizerWorkflowId,
      taskQueue: this.context.taskQueue,
      // The optimiser signals task workflows by id, so it is told the instance their ids carry.
      args: [instance === undefined ? {} : { instance }],
      signal: configAppliedSignal,
      signalArgs: [],
      staticSummary: 'Re-plans adaptive intervals, warms hot keys, runs the critical pass',
    });
  }
}

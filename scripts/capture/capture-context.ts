// The one object every phase of the capture drive takes: its connections, the config it applied,
// handles on the workflows several phases reach, and what it records for the manifest.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { WarmingClient } from '../../client/warming-client';
import type { WarmingConfigInput } from '../../core/config-schema';
import {
  statusQuery,
  taskWorkflowId,
  type optimizerWorkflow,
  type TaskStatus,
  type warmTaskWorkflow,
} from '../../workflows';
import type { TaskCounters } from '../replay-fixtures';
import { captureConfig, capturePreload } from './capture-config';

/** The task queue the capture's worker polls (its critical queue is derived from it). */
export const TASK_QUEUE = 'capture';
/** The key prefix the capture's worker and clients share. */
export const PREFIX = 'cw:';
/** The optimiser the drive starts itself, with a small history limit. */
export const CONTINUED_OPTIMIZER_ID = 'warm-optimizer-continued';

export interface CaptureContext {
  readonly client: Client;
  readonly warming: WarmingClient;
  readonly redis: Redis;
  readonly redisUrl: string;
  /** The demo origin's base URL. */
  readonly originUrl: string;
  /** The config applied first. */
  readonly config: WarmingConfigInput;
  /** `config` without the removed task: what is applied again once it is gone. */
  readonly remaining: WarmingConfigInput;
  /** The user preload with its navigation source at `navigationPath`. */
  preload(navigationPath: string): WarmingConfigInput['userPreload'];
  /** The task workflow of `taskId`. */
  handle(taskId: string): WorkflowHandle<typeof warmTaskWorkflow>;
  /** The `status` query of `taskId`'s task workflow. */
  status(taskId: string): Promise<TaskStatus>;
  /** The optimiser `apply` starts. */
  readonly optimizer: WorkflowHandle<typeof optimizerWorkflow>;
  /** The optimiser started with a small history limit, to continue as new. */
  readonly continuedOptimizer: WorkflowHandle<typeof optimizerWorkflow>;
  /** Records what the drive does with `workflowId` (for the manifest) and returns the id. */
  scenario(workflowId: string, what: string): string;
  /** What each scenario drove, by workflow id, in the order recorded. */
  readonly scenarios: Record<string, string>;
  /** Each task workflow's counters at the end of the drive, by workflow id. */
  readonly taskCounters: Map<string, TaskCounters>;
}

export function createCaptureContext(deps: {
  client: Client;
  warming: WarmingClient;
  redis: Redis;
  redisUrl: string;
  originUrl: string;
}): CaptureContext {
  const { client, originUrl } = deps;
  const config = captureConfig(originUrl);
  const scenarios: Record<string, string> = {};
  const handle = (taskId: string) => client.workflow.getHandle<typeof warmTaskWorkflow>(taskWorkflowId(taskId));
  return {
    ...deps,
    config,
    remaining: { ...config, tasks: config.tasks?.filter((task) => task.taskId !== 'removed') },
    preload: (navigationPath) => capturePreload(originUrl, navigationPath),
    handle,
    status: (taskId) => handle(taskId).query(statusQuery),
    optimizer: client.workflow.getHandle<typeof optimizerWorkflow>('warm-optimizer'),
    continuedOptimizer: client.workflow.getHandle<typeof optimizerWorkflow>(CONTINUED_OPTIMIZER_ID),
    scenario(workflowId, what) {
      scenarios[workflowId] = what;
      return workflowId;
    },
    scenarios,
    taskCounters: new Map(),
  };
}

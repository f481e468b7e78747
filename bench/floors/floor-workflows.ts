// Floor shapes: the bare Temporal chains the product's login and warm paths are built on, with the
// same loads and no product logic (no validation, dedupe, metrics, version checks, stats). Each
// bench row of a login or warm shape is compared with its floor measured in the same run.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities';

export const floorLoginSignal = defineSignal<[{ userId: string }]>('floorLogin');
export const floorWarmSignal = defineSignal('floorWarm');

/** Local: the load runs inside the workflow task (a marker in history); else an activity task. */
export interface FloorOptions {
  local: boolean;
}

const remote = proxyActivities<FloorActivities>({ startToCloseTimeout: '1m' });
const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1m' });

function activities(options: FloorOptions): FloorActivities {
  return options.local ? local : remote;
}

/** One login's loads as one workflow: the child of the session and shard shapes, or on its own. */
export async function floorPreloadWorkflow(input: FloorOptions & { userId: string }): Promise<void> {
  await activities(input).floorPreload(input.userId);
}

/** Today's login shape: a per-user workflow started by signal-with-start, running a child per login. */
export async function floorSessionWorkflow(input: FloorOptions & { userId: string }): Promise<void> {
  let logins = 0;
  setHandler(floorLoginSignal, () => void logins++);
  await condition(() => logins > 0);
  await executeChild(floorPreloadWorkflow, {
    workflowId: `floor-preload:${input.userId}:${Date.now()}`,
    args: [{ userId: input.userId, local: input.local }],
  });
}

/** A long-running receiver of many users' logins, starting a child per login as they arrive. */
export async function floorShardWorkflow(input: FloorOptions & { historyEventsLimit?: number }): Promise<void> {
  const queue: string[] = [];
  let running = 0;
  setHandler(floorLoginSignal, ({ userId }) => void queue.push(userId));
  const limit = input.historyEventsLimit ?? 20_000;
  for (;;) {
    await condition(() => queue.length > 0 || workflowInfo().historyLength > limit);
    for (const userId of queue.splice(0)) {
      running++;
      const child = await startChild(floorPreloadWorkflow, {
        workflowId: `floor-preload:${userId}:${Date.now()}`,
        args: [{ userId, local: input.local }],
      });
      void child.result().finally(() => running--);
    }
    if (workflowInfo().historyLength > limit) {
      await condition(() => running === 0 && allHandlersFinished() && queue.length === 0);
      await continueAsNew<typeof floorShardWorkflow>(input);
    }
  }
}

/** A task's warm shape: a long-running workflow that loads and writes one key on each signal. */
export async function floorTaskWorkflow(input: FloorOptions & { key: string; url: string }): Promise<void> {
  let pending = 0;
  setHandler(floorWarmSignal, () => void pending++);
  for (;;) {
    await condition(() => pending > 0);
    pending = 0;
    await activities(input).floorWarm(input.key, input.url);
  }
}

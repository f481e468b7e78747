// A task run answers `status` before its start input is parsed. Every run starts with that parse
// (a local activity) and runs continue as new about every 11 warms, so a status query often meets
// a run that has not had its first workflow task yet; the server then hands the query to the
// worker with that first task, and the worker answers it at the end of the first activation,
// while the parse is still pending. The bench's memory workload met this as "Workflow did not
// register a handler for status". Here the runs are started with no worker polling, queried, and
// only then is the worker started, so each query comes with its run's first workflow task.
import { parseTask } from '../../core/config-schema';
import { statusQuery, taskWorkflowId, warmTaskWorkflow, type TaskStatus } from '../../workflows';
import { uniqueName } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const stack = useTestStack({ worker: false }); // started once the queries wait
const origin = useTestOrigin();

test('a status query that comes with a run’s first workflow task is answered from the start input', async () => {
  const spec = (taskId: string) => {
    origin.route(`/${taskId}`, () => ({ body: 'v' }));
    return parseTask({
      taskId,
      cacheKey: `starting:${taskId}`,
      loader: { type: 'http', url: `${origin.url}/${taskId}` },
      ttlSeconds: 600,
      intervalMinutes: 60,
      adaptive: false,
    });
  };
  // A new task, and a run carrying state as a continue-as-new does.
  const fresh = spec(uniqueName('fresh'));
  const continued = spec(uniqueName('continued'));
  const carried = {
    warmCount: 7,
    failureCount: 1,
    lastWarmAt: '2026-12-03T10:00:00.000Z',
    nextWarmAtMs: Date.now() + 3_600_000, // no warm due: the status is the carried one whichever run answers
    intervalMinutes: 60,
    paused: false,
    lastResult: null,
    lastError: null,
    since: '2026-12-01T00:00:00.000Z',
    generation: 3,
    pendingForce: null,
  };
  const handles = await Promise.all([
    stack.temporal.workflow.start(warmTaskWorkflow, {
      workflowId: taskWorkflowId(fresh.taskId),
      taskQueue: stack.taskQueue,
      args: [{ spec: fresh }],
    }),
    stack.temporal.workflow.start(warmTaskWorkflow, {
      workflowId: taskWorkflowId(continued.taskId),
      taskQueue: stack.taskQueue,
      args: [{ spec: continued, carried }],
    }),
  ]);
  const queries = handles.map((handle) => handle.query(statusQuery));
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the queries reach the server first
  await stack.startWorker();
  const [freshStatus, continuedStatus] = (await Promise.all(queries)) as TaskStatus[];
  expect(freshStatus).toMatchObject({ taskId: fresh.taskId, generation: 0, failureCount: 0 });
  expect(continuedStatus).toMatchObject({
    taskId: continued.taskId,
    warmCount: 7,
    failureCount: 1,
    generation: 3,
    lastWarmAt: '2026-12-03T10:00:00.000Z',
  });
  for (const handle of handles) await handle.terminate('test done');
});

// A preload child id another starter holds (the shard of the other shard count during a change of
// WARMING_LOGIN_SHARDS, another deployment in the namespace, release 0.1's per-user workflow: each
// preloading the same user in the same millisecond). The id is taken for real on the server by a
// test interceptor (test/helpers/preload-id-taker.ts) bundled into this file's worker; the login
// must still be preloaded, under the id of a later millisecond (PRELOAD_ID_TAKEN_PATCH).
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { createWorker, type WarmingWorker } from '../../worker/create-worker';
import { WARNINGS_ONLY_BUNDLE_LOGGER, workflowBundleOptions } from '../../worker/workflow-bundle';
import { userLoginsWorkflowId, userPreloadStatusQuery } from '../../workflows';
import { PRELOAD_ID_TAKEN_PATCH } from '../../workflows/user-logins';
import { ID_HOLDER_TYPE, ID_TAKEN_USER_PREFIX } from '../helpers/preload-id-taker';
import { historyText } from '../helpers/history-text';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';
import { httpUserPreload } from '../helpers/user-preload-config';

const EventType = proto.api.enums.v1.EventType;
const stack = useTestStack({ worker: false });
const origin = useTestOrigin();
const ns = uniqueName('idt');
let connection: NativeConnection | undefined;
let worker: WarmingWorker | undefined;
let running: Promise<void> | undefined;
const holders: string[] = [];

beforeAll(async () => {
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    workflowInterceptorModules: [require.resolve('../helpers/preload-id-taker')],
    logger: WARNINGS_ONLY_BUNDLE_LOGGER,
  });
  connection = await NativeConnection.connect({ address: testServers().temporalAddress });
  worker = await createWorker({
    connection,
    taskQueue: stack.taskQueue,
    redis: stack.redis,
    prefix: stack.prefix,
    workflowBundle: { code },
    shutdownGraceTime: '5s',
  });
  running = worker.run();
  origin.routeUnder('/users/', (request) => ({ body: JSON.stringify({ path: request.url }) }));
  await stack.warming.apply({ tasks: [], userPreload: httpUserPreload(origin.url, ns) });
}, 120_000);

afterAll(async () => {
  for (const id of holders)
    await stack.temporal.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  worker?.shutdown();
  await running;
  await connection?.close();
});

test('a login whose preload child id is taken is preloaded under a later id, and the shard counts no failure', async () => {
  const userId = uniqueName(ID_TAKEN_USER_PREFIX.slice(0, -1));
  await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: 1 });
  const shard = stack.temporal.workflow.getHandle(userLoginsWorkflowId(stack.taskQueue, 0));

  // The login's data lands although its first child id was held by another workflow.
  await waitFor(
    'the session and navigation in Redis',
    async () => (await stack.redis.exists(`${ns}:user:${userId}:session`, `${ns}:user:${userId}:navigation`)) === 2,
  );
  const status = await waitFor('the preload recorded', async () => {
    const user = await shard.query(userPreloadStatusQuery, userId);
    return user?.lastResult ? user : undefined;
  });
  expect(status).toMatchObject({ preloads: 1, failedPreloads: 0, lastError: null });
  expect(status.lastResult?.ok).toBe(true);

  // The holder really took the first id on the server, and the preload ran under another.
  const events = (await shard.fetchHistory()).events ?? [];
  const failedStarts = events.filter(
    (event) => event.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
  );
  expect(failedStarts).toHaveLength(1);
  const takenId = failedStarts[0]?.startChildWorkflowExecutionFailedEventAttributes?.workflowId as string;
  holders.push(takenId);
  expect(takenId).toMatch(new RegExp(`^preload-user:${userId}:\\d+$`));
  const holder = await stack.temporal.workflow.getHandle(takenId).describe();
  expect(holder.type).toBe(ID_HOLDER_TYPE);
  expect(holder.status.name).toBe('RUNNING');
  const servedId = status.lastResult?.workflowId as string;
  expect(servedId).toMatch(new RegExp(`^preload-user:${userId}:\\d+$`));
  expect(Number(servedId.split(':').pop())).toBeGreaterThan(Number(takenId.split(':').pop()));
  expect((await stack.temporal.workflow.getHandle(servedId).describe()).status.name).toBe('COMPLETED');
  // Behind the patch: its marker is in the shard's history.
  const markers = events.filter((event) => event.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
  expect(historyText(markers)).toContain(PRELOAD_ID_TAKEN_PATCH);
});

test('a user whose ids are free is preloaded at the first start', async () => {
  const userId = uniqueName('free');
  await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: 1 });
  await waitFor('the session in Redis', async () => (await stack.redis.exists(`${ns}:user:${userId}:session`)) === 1);
  const shard = stack.temporal.workflow.getHandle(userLoginsWorkflowId(stack.taskQueue, 0));
  const status = await waitFor('the preload recorded', async () => {
    const user = await shard.query(userPreloadStatusQuery, userId);
    return user?.lastResult ? user : undefined;
  });
  expect(status).toMatchObject({ preloads: 1, failedPreloads: 0 });
});

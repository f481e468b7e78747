// Capture phase 7, login shards (release 0.2): many users' logins per shard workflow, with a storm, a
// skip, a forced login, one without forms, over-long user ids, malformed payloads, a re-applied
// config, and a shard that continues as new carrying its users.
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import { userLoggedInSignal, userLoginsStatusQuery, userLoginsWorkflow, userLoginsWorkflowId } from '../../workflows';
import { TASK_QUEUE, type CaptureContext } from './capture-context';
import { sleep, waitUntil } from './wait-until';

export async function driveLoginShards(ctx: CaptureContext): Promise<void> {
  const { client, warming, scenario, remaining } = ctx;
  const shardLogin = (userId: string, extra: Record<string, unknown> = {}) =>
    notifyUserLoggedIn(client, userId, { taskQueue: TASK_QUEUE, shards: 2, ...extra });
  const shardStatus = (userId: string) => userPreloadStatus(client, userId, { taskQueue: TASK_QUEUE, shards: 2 });
  const shardPreloads = (userId: string, n: number) =>
    waitUntil(`${n} shard preloads of ${userId}`, async () => {
      const s = await shardStatus(userId);
      return (s?.preloads ?? 0) >= n && s?.state === 'idle';
    });
  for (const shard of [0, 1]) {
    scenario(
      userLoginsWorkflowId(TASK_QUEUE, shard),
      'login shard: logins of several users, a storm, a skip, a forced login, one without forms, malformed payloads, a re-applied skip window (preloadSettings); from 0.3.0 user ids of 250 ASCII and 200 CJK characters (bounded child ids)',
    );
  }
  await Promise.all(['hana', 'ivan', 'judy', 'kyle'].map((userId) => shardLogin(userId)));
  await Promise.all(Array.from({ length: 6 }, () => shardLogin('liam')));
  for (const userId of ['hana', 'ivan', 'judy', 'kyle', 'liam']) await shardPreloads(userId, 1);
  await shardLogin('hana');
  await waitUntil('hana skipped', async () => ((await shardStatus('hana'))?.skipped ?? 0) >= 1);
  await shardLogin('hana', { force: true });
  await shardPreloads('hana', 2);
  await shardLogin('mona', { preloadForms: false });
  await shardPreloads('mona', 1);
  await shardLogin('mona');
  await shardPreloads('mona', 2);
  // Ids the login API accepts but that do not fit a child id whole: cut, with a digest.
  for (const userId of ['l'.repeat(250), '界'.repeat(200)]) {
    await shardLogin(userId);
    await shardPreloads(userId, 1);
  }
  for (const shard of [0, 1]) {
    const handle = client.workflow.getHandle(userLoginsWorkflowId(TASK_QUEUE, shard));
    await handle.signal('userLoggedIn', 'garbage');
    await handle.signal('userLoggedIn', { userId: 'nina', force: 'yes' });
  }
  await warming.apply(remaining);
  scenario(
    userLoginsWorkflowId(TASK_QUEUE, 9),
    'login shard: forced logins with historyEventsLimit 30: continue-as-new carrying users',
  );
  for (let i = 0; i < 5; i++) {
    await client.workflow.signalWithStart(userLoginsWorkflow, {
      workflowId: userLoginsWorkflowId(TASK_QUEUE, 9),
      taskQueue: TASK_QUEUE,
      args: [{ historyEventsLimit: 30 }],
      signal: userLoggedInSignal,
      signalArgs: [{ userId: `otto-${i % 2}`, force: true }],
    });
    await sleep(400);
  }
  await waitUntil(
    'the shard to continue as new',
    async () =>
      (await client.workflow.getHandle(userLoginsWorkflowId(TASK_QUEUE, 9)).query(userLoginsStatusQuery)).generation >=
      1,
    60_000,
  );
}

// Changing WARMING_LOGIN_SHARDS while logins flow (issue 24 item 3): three notifiers (auth service
// replicas) send logins of a pool of returning users and of new ones while their shard count goes
// 1 -> 4 -> 2, each replica switching at its own moment, as a rolling change does. No login is
// lost (every shard counts and serves each login it received, their counts add up to the logins
// sent, every user is preloaded) and dedupe is only weaker: a user is preloaded once per shard its
// logins reached, never more. userPreloadStatus finds the user's logins in every shard.
import { loginShardOf, notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import { runningLoginShardsQuery } from '../../core/visibility-query';
import { userLoginsStatusQuery, type UserLoginsStatus } from '../../workflows';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';
import { httpUserPreload } from '../helpers/user-preload-config';

const stack = useTestStack();
const origin = useTestOrigin();
const ns = uniqueName('rs');

/** The shard counts in turn, and when (ms into the run) the first replica moves to each. */
const COUNTS = [
  { shards: 1, fromMs: 0 },
  { shards: 4, fromMs: 1_500 },
  { shards: 2, fromMs: 3_000 },
];
const RUN_MS = 4_500;
const NOTIFIERS = 3;
/** Each replica takes up a new count this much later than the one before it. */
const STAGGER_MS = 300;
const POOL = 12;

beforeAll(async () => {
  origin.routeUnder('/users/', (request) => ({ body: JSON.stringify({ path: request.url }) }));
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      ...httpUserPreload(origin.url, ns),
      // The shipped window: a user's second login in one shard is skipped or joins the running preload.
      skipIfWarmedWithinMinutes: 5,
    },
  });
});

/** The shard count replica `notifier` uses `elapsedMs` into the run. */
function countOf(notifier: number, elapsedMs: number): number {
  let shards = COUNTS[0]?.shards as number;
  for (const step of COUNTS) if (elapsedMs >= step.fromMs + notifier * STAGGER_MS) shards = step.shards;
  return shards;
}

async function shardStatuses(): Promise<Map<string, UserLoginsStatus>> {
  const statuses = new Map<string, UserLoginsStatus>();
  for await (const execution of stack.temporal.workflow.list({ query: runningLoginShardsQuery(stack.taskQueue) })) {
    const handle = stack.temporal.workflow.getHandle(execution.workflowId);
    statuses.set(execution.workflowId, await handle.query(userLoginsStatusQuery));
  }
  return statuses;
}

test('logins flowing while the shard count goes 1 -> 4 -> 2 are all served; only dedupe is weaker', async () => {
  // Returning users whose shard under 4 is not their shard under 1 (shard 0): each one's logins
  // really move when the count changes (a random pool left that to chance, and once too few moved).
  const pool: string[] = [];
  for (let k = 0; pool.length < POOL; k++) if (loginShardOf(`${ns}-u${k}`, 4) !== 0) pool.push(`${ns}-u${k}`);
  /** Per user: logins sent and the shards they were sent to. */
  const sent = new Map<string, { logins: number; shards: Set<number> }>();
  const countsUsed = new Set<number>();
  let total = 0;
  const started = Date.now();

  const notifier = async (index: number) => {
    for (let i = 0; Date.now() - started < RUN_MS; i++) {
      // Mostly returning users (they cross shards as the count changes), now and then a new one.
      const userId = i % 4 === 3 ? `${ns}-n${index}-${i}` : (pool[(i * NOTIFIERS + index) % POOL] as string);
      const shards = countOf(index, Date.now() - started);
      countsUsed.add(shards);
      await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, shards });
      const entry = sent.get(userId) ?? { logins: 0, shards: new Set<number>() };
      entry.logins++;
      entry.shards.add(loginShardOf(userId, shards));
      sent.set(userId, entry);
      total++;
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  };
  await Promise.all(Array.from({ length: NOTIFIERS }, (_, index) => notifier(index)));
  expect([...countsUsed].sort()).toEqual([1, 2, 4]);
  // Users that crossed shards: the change really split some users' logins.
  expect([...sent.values()].filter((entry) => entry.shards.size > 1).length).toBeGreaterThan(POOL / 2);

  // Every user is preloaded.
  for (const userId of sent.keys()) {
    await waitFor(`the preload of ${userId}`, async () => {
      const keys = [`${ns}:user:${userId}:session`, `${ns}:user:${userId}:navigation`];
      return (await stack.redis.exists(...keys)) === keys.length;
    });
  }

  // Every shard counted and served each login it received: none waits, none was dropped or failed.
  const statuses = await waitFor('every shard idle with every login counted', async () => {
    const current = await shardStatuses();
    const counted = [...current.values()].reduce((sum, status) => sum + status.logins, 0);
    const idle = [...current.values()].every((status) => status.serving === 0 && status.waiting === 0);
    return counted === total && idle ? current : undefined;
  });
  expect([...statuses.keys()].sort()).toEqual([0, 1, 2, 3].map((shard) => `user-logins:${stack.taskQueue}:${shard}`));
  for (const [workflowId, status] of statuses) {
    expect({ workflowId, ...status }).toMatchObject({
      workflowId,
      rejected: 0,
      droppedLogins: 0,
      failedPreloads: 0,
      logins: status.preloads + status.skipped + status.coalesced,
    });
  }

  // Dedupe only weaker: one preload per user and shard its logins reached, never more.
  for (const [userId, { logins, shards }] of sent) {
    const merged = await userPreloadStatus(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: 2 });
    expect({ userId, logins: merged?.logins, preloads: merged?.preloads, state: merged?.state }).toEqual({
      userId,
      logins,
      preloads: shards.size,
      state: 'idle',
    });
  }
  const preloads = [...statuses.values()].reduce((sum, status) => sum + status.preloads, 0);
  expect(preloads).toBe([...sent.values()].reduce((sum, entry) => sum + entry.shards.size, 0));
}, 90_000);

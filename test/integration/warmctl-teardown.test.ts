// warmctl teardown end to end: the built binary lists (--dry-run, changing nothing) or stops every
// workflow on the deployment's queues and removes every key under its prefix, leaving cached values
// (and everything of other deployments) alone unless --values names the ones its metadata lists.
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { createTestStack, stackEnv, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin({ '/v': () => ({ body: 'v' }) });
let neighbour: TestStack;

beforeAll(async () => {
  neighbour = await createTestStack();
  await neighbour.startWorker();
});

afterAll(async () => {
  await neighbour?.close();
});

async function runningOn(taskQueue: string): Promise<number> {
  const query = `ExecutionStatus = 'Running' AND (TaskQueue = '${taskQueue}' OR TaskQueue = '${taskQueue}-critical')`;
  return (await stack.temporal.workflow.count(query)).count;
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await stack.redis.keys(`${prefix}*`)).sort();
}

test('a dry run lists workflows and keys by kind and changes nothing; --yes stops them and removes the prefix', async () => {
  const run = uniqueName('td');
  const config = {
    tasks: [
      { taskId: `${run}-a`, cacheKey: `${run}:a`, loader: { type: 'http', url: `${origin.url}/v` }, ttlSeconds: 600 },
      {
        taskId: `${run}-c`,
        cacheKey: `${run}:c`,
        loader: { type: 'http', url: `${origin.url}/v` },
        ttlSeconds: 600,
        critical: true,
        tags: ['crit'],
      },
    ],
    optimizer: { everyMinutes: 1440 },
  };
  await stack.warming.apply(config);
  await neighbour.warming.apply({
    tasks: [
      { taskId: `${run}-n`, cacheKey: `${run}:n`, loader: { type: 'http', url: `${origin.url}/v` }, ttlSeconds: 600 },
    ],
  });
  await waitFor('both values', async () => (await stack.redis.exists(`${run}:a`, `${run}:c`)) === 2);
  await waitFor('the neighbour value', async () => (await stack.redis.get(`${run}:n`)) === 'v');
  await stack.redis.set(`${run}:unrelated`, 'app');
  // A login shard, as the auth service's first login starts it (its preload child ends on its own).
  await notifyUserLoggedIn(stack.temporal, `${run}-user`, { taskQueue: stack.taskQueue });
  await waitFor('the tasks, the optimiser and the shard', async () => (await runningOn(stack.taskQueue)) === 4);
  const env = stackEnv(stack);
  // The shared origin budget's record of the last second's starts outlives the warms by up to 2 s
  // (store/lua/origin-budget.lua); counted now, it could age out before the teardown counts.
  await waitFor(
    'the warms to leave the origin budget',
    async () => (await keysUnder(`${stack.prefix}budget:`)).length === 0,
  );
  const keysBefore = await keysUnder(stack.prefix);
  expect(keysBefore.length).toBeGreaterThan(3);

  const refused = await runWarmctlBinary(['teardown'], env);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toBe(
    'warmctl: teardown stops workflows and removes keys: pass --yes (or --dry-run to see what it would do)\n',
  );

  const dry = await runWarmctlBinary(['teardown', '--dry-run', '--values'], env);
  expect(dry).toMatchObject({ code: 0, stderr: '' });
  const lines = dry.stdout.trim().split('\n');
  expect(lines[0]).toBe(
    `teardown of task queues ${stack.taskQueue}, ${stack.taskQueue}-critical and prefix ${stack.prefix} (dry run: nothing changed)`,
  );
  expect(lines[1]).toMatch(/^would stop [45] workflows: 1 loginShards, 1 optimizer, (1 preloads, )?2 tasks$/);
  expect(lines[2]).toMatch(new RegExp(`^would remove ${keysBefore.length} keys under ${stack.prefix}: .*2 meta`));
  expect(lines[3]).toBe('cached values: would remove 2 values named by metadata');
  const json = JSON.parse((await runWarmctlBinary(['teardown', '--dry-run', '--json'], env)).stdout) as {
    workflows: Record<string, number>;
    keys: Record<string, number>;
    values?: number;
  };
  expect(json.workflows).toMatchObject({ loginShards: 1, optimizer: 1, tasks: 2 });
  expect(json.keys.meta).toBe(2);
  // Each task's run carries its warm mark.
  expect(json.keys.warmed).toBe(2);
  expect(json.values).toBeUndefined();
  // Nothing changed.
  expect(await runningOn(stack.taskQueue)).toBe(4);
  expect(await keysUnder(stack.prefix)).toEqual(keysBefore);
  expect(await stack.redis.exists(`${run}:a`, `${run}:c`)).toBe(2);

  const done = await runWarmctlBinary(['teardown', '--yes', '--values'], env);
  expect(done).toMatchObject({ code: 0, stderr: '' });
  expect(done.stdout).toMatch(/stopped [45] workflows: 1 loginShards, 1 optimizer, (1 preloads, )?2 tasks/);
  expect(done.stdout).toContain(`removed ${keysBefore.length} keys under ${stack.prefix}`);
  expect(done.stdout).toContain('cached values: removed 2 values named by metadata');
  await waitFor('no running workflow on the queues', async () => (await runningOn(stack.taskQueue)) === 0);
  expect(await keysUnder(stack.prefix)).toEqual([]);
  expect(await stack.redis.exists(`${run}:a`, `${run}:c`)).toBe(0);
  // Another deployment and values without metadata are untouched.
  expect(await stack.redis.get(`${run}:unrelated`)).toBe('app');
  expect(await runningOn(neighbour.taskQueue)).toBeGreaterThan(0);
  expect((await keysUnder(neighbour.prefix)).length).toBeGreaterThan(0);
  expect(await stack.redis.get(`${run}:n`)).toBe('v');

  // A teardown of nothing is a clean no-op.
  const again = await runWarmctlBinary(['teardown', '--yes'], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('stopped 0 workflows');
  expect(again.stdout).toContain('cached values: left until their TTL');
});

test('without --values the cached values stay until their TTL', async () => {
  const run = uniqueName('tv');
  await stack.warming.apply({
    tasks: [
      { taskId: `${run}-a`, cacheKey: `${run}:a`, loader: { type: 'http', url: `${origin.url}/v` }, ttlSeconds: 600 },
    ],
  });
  await waitFor('the value', async () => (await stack.redis.get(`${run}:a`)) === 'v');
  const done = await runWarmctlBinary(['teardown', '--yes', '--json'], stackEnv(stack));
  expect(done.code).toBe(0);
  expect(JSON.parse(done.stdout)).toMatchObject({ dryRun: false, workflows: { tasks: 1 } });
  expect(await stack.redis.get(`${run}:a`)).toBe('v');
  expect(await keysUnder(stack.prefix)).toEqual([]);
});

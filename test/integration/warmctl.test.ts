// warmctl end to end: the built binary against the real servers, as an operator runs it.
import { loginShardWorkflowId } from '../../client/notify-user-logged-in';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { stackEnv, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin({
  '/catalog': () => ({ body: '{"products":[]}' }),
  '/prices': () => ({ body: 'prices' }),
});
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'warmctl-'));

beforeAll(async () => {
  env = stackEnv(stack);
});

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

function tasksFor(suffix: string) {
  return [
    {
      taskId: `catalog-${suffix}`,
      cacheKey: `catalog:${suffix}`,
      loader: { type: 'http', url: `${origin.url}/catalog` },
      ttlSeconds: 3600,
      tags: ['catalog'],
      priority: 100,
      critical: true,
    },
    {
      taskId: `prices-${suffix}`,
      cacheKey: `prices:${suffix}`,
      loader: { type: 'http', url: `${origin.url}/prices` },
      ttlSeconds: 600,
      tags: ['catalog', 'prices'],
    },
  ];
}

test('apply -f starts the tasks, a second apply reports them unchanged', async () => {
  const suffix = uniqueName('a');
  const file = writeConfig(`${suffix}.json`, { tasks: tasksFor(suffix) });
  const first = await runWarmctlBinary(['apply', '-f', file], env);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  expect(first.stdout).toContain('2 created, 0 updated, 0 unchanged');
  await waitFor('both keys', async () => (await stack.redis.exists(`catalog:${suffix}`, `prices:${suffix}`)) === 2);
  const second = await runWarmctlBinary(['apply', '-f', file, '--json'], env);
  expect(second.code).toBe(0);
  expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
});

test('apply accepts YAML', async () => {
  const suffix = uniqueName('y');
  const yaml = `tasks:\n  - taskId: yaml-${suffix}\n    cacheKey: yaml:${suffix}\n    loader: { type: http, url: "${origin.url}/prices" }\n    ttlSeconds: 60\n`;
  const result = await runWarmctlBinary(['apply', '-f', writeConfig(`${suffix}.yaml`, yaml)], env);
  expect(result.code).toBe(0);
  await waitFor('the YAML task key', async () => (await stack.redis.get(`yaml:${suffix}`)) === 'prices');
});

test('an invalid config is rejected whole with one line naming the field, and nothing is applied', async () => {
  const suffix = uniqueName('bad');
  const [good, bad] = tasksFor(suffix);
  const file = writeConfig(`${suffix}.json`, { tasks: [good, { ...bad, ttlSeconds: -5 }] });
  const result = await runWarmctlBinary(['apply', '-f', file], env);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain('tasks[1].ttlSeconds');
  const status = await runWarmctlBinary(['status', `catalog-${suffix}`], env);
  expect(status.code).toBe(1);
  expect(status.stderr).toMatch(/no task "catalog-.*" is scheduled/);
});

test('truncated JSON is reported with the file name', async () => {
  const result = await runWarmctlBinary(['apply', '-f', writeConfig('truncated.json', '{"tasks": [')], env);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^warmctl: invalid config: .*truncated\.json: not valid JSON/);
});

test('tasks --json and status --json carry the contract fields', async () => {
  const suffix = uniqueName('s');
  await runWarmctlBinary(['apply', '-f', writeConfig(`${suffix}.json`, { tasks: tasksFor(suffix) })], env);
  const taskId = `catalog-${suffix}`;
  const status = await waitFor('a warmed status', async () => {
    const run = await runWarmctlBinary(['status', taskId, '--json'], env);
    const parsed = run.code === 0 ? (JSON.parse(run.stdout) as Record<string, unknown>) : undefined;
    return parsed && parsed.warmCount === 1 ? parsed : undefined;
  });
  for (const field of [
    'taskId',
    'cacheKey',
    'intervalMinutes',
    'critical',
    'priority',
    'paused',
    'lastWarmAt',
    'nextWarmAt',
    'warmCount',
    'failureCount',
  ]) {
    expect(status).toHaveProperty(field);
  }
  expect(status).toMatchObject({ taskId, cacheKey: `catalog:${suffix}`, critical: true, priority: 100, paused: false });
  const list = await waitFor('the task listed', async () => {
    const run = await runWarmctlBinary(['tasks', '--json'], env);
    const tasks = JSON.parse(run.stdout) as { taskId: string }[];
    return tasks.some((t) => t.taskId === taskId) ? tasks : undefined;
  });
  expect(Array.isArray(list)).toBe(true);
  const table = await runWarmctlBinary(['tasks'], env);
  expect(table.stdout).toMatch(/^TASK\s+KEY\s+INTERVAL\s+CRITICAL\s+LAST WARM\s+NEXT WARM\s+STATE/);
});

test('warm TASK waits for the result; warm --tag and warm --critical report each task', async () => {
  const suffix = uniqueName('w');
  await runWarmctlBinary(['apply', '-f', writeConfig(`${suffix}.json`, { tasks: tasksFor(suffix) })], env);
  const one = await runWarmctlBinary(['warm', `prices-${suffix}`], env);
  expect(one.code).toBe(0);
  expect(one.stdout).toMatch(new RegExp(`warmed prices-${suffix} in .*: 6 bytes at prices:${suffix}`));
  const byTag = await waitFor('both tagged tasks warmed', async () => {
    const run = await runWarmctlBinary(['warm', '--tag', 'prices', '--json'], env);
    const report = JSON.parse(run.stdout) as { results: { taskId: string; ok: boolean }[] };
    return report.results.some((r) => r.taskId === `prices-${suffix}`) ? report : undefined;
  });
  expect(byTag.results.every((r) => r.ok)).toBe(true);
  const critical = await runWarmctlBinary(['warm', '--critical', '--parallel', '2', '--json'], env);
  expect(critical.code).toBe(0);
  const report = JSON.parse(critical.stdout) as {
    results: { taskId: string; critical: boolean; priority: number }[];
    totalDurationMs: number;
  };
  expect(report.results.every((r) => r.critical)).toBe(true);
  expect(report.results.map((r) => r.taskId)).not.toContain(`prices-${suffix}`);
  expect(report.totalDurationMs).toBeGreaterThanOrEqual(0);
});

test('invalidate --tag deletes the tagged keys and --rewarm warms their tasks again', async () => {
  const suffix = uniqueName('i');
  const tag = `inv-${suffix}`;
  const tasks = tasksFor(suffix).map((t) => ({ ...t, tags: [tag] }));
  await runWarmctlBinary(['apply', '-f', writeConfig(`${suffix}.json`, { tasks })], env);
  await waitFor('both keys', async () => (await stack.redis.exists(`catalog:${suffix}`, `prices:${suffix}`)) === 2);
  const dropped = await runWarmctlBinary(['invalidate', '--tag', tag], env);
  expect(dropped.code).toBe(0);
  expect(dropped.stdout).toContain(`deleted 2 keys tagged ${tag}`);
  expect(await stack.redis.exists(`catalog:${suffix}`, `prices:${suffix}`)).toBe(0);
  await waitFor(
    'tasks listed by tag',
    async () => (await stack.warming.listTaskIds(`WarmTags = '${tag}'`)).length === 2,
  );
  const rewarmed = await runWarmctlBinary(['invalidate', '--tag', tag, '--rewarm', '--json'], env);
  expect(rewarmed.code).toBe(0);
  expect(JSON.parse(rewarmed.stdout).rewarm.succeeded).toBe(2);
  expect(await stack.redis.exists(`catalog:${suffix}`, `prices:${suffix}`)).toBe(2);
});

test('remove stops the schedule', async () => {
  const suffix = uniqueName('r');
  await runWarmctlBinary(['apply', '-f', writeConfig(`${suffix}.json`, { tasks: tasksFor(suffix).slice(1) })], env);
  await waitFor('the task warmed', async () => (await stack.redis.exists(`prices:${suffix}`)) === 1);
  const removed = await runWarmctlBinary(['remove', `prices-${suffix}`], env);
  expect(removed.code).toBe(0);
  expect(removed.stdout).toMatch(/removed prices-.* after 1 warms/);
  expect((await runWarmctlBinary(['status', `prices-${suffix}`], env)).code).toBe(1);
});

test.each([
  [['warm'], /exactly one of/],
  [['warm', 'a', '--tag', 'b'], /exactly one of/],
  [['warm', '--critical', '--parallel', '0'], /--parallel.*positive integer/],
  [['status', 'bad id!'], /task id/],
  [['frobnicate'], /unknown command/],
  [['apply', '--nope'], /unknown option/],
])('bad command line %j exits 2 with one line', async (args, message) => {
  const result = await runWarmctlBinary(args, env);
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
});

test('an unreachable Temporal gives one line and exit 1', async () => {
  const result = await runWarmctlBinary(['tasks'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^warmctl: /);
});

test("stats --json has the contract fields and counts this deployment's warms", async () => {
  const suffix = uniqueName('st');
  await runWarmctlBinary(['apply', '-f', writeConfig(`${suffix}.json`, { tasks: tasksFor(suffix).slice(1) })], env);
  await waitFor('the task warmed', async () => (await stack.redis.exists(`prices:${suffix}`)) === 1);
  const result = await waitFor('stats with the task', async () => {
    const run = await runWarmctlBinary(['stats', '--json', '--since', '10m'], env);
    const stats = JSON.parse(run.stdout) as Record<string, unknown> & {
      byTask: Record<string, Record<string, unknown>>;
    };
    return stats.byTask[`prices-${suffix}`] ? stats : undefined;
  });
  for (const field of [
    'totalWarmings',
    'succeeded',
    'failed',
    'avgDurationMs',
    'p95DurationMs',
    'fastestMs',
    'slowestMs',
    'efficiencyScore',
    'userPreloads',
    'byTask',
  ]) {
    expect(result).toHaveProperty(field);
  }
  expect(result.byTask[`prices-${suffix}`]).toMatchObject({ totalWarmings: 1, succeeded: 1, failed: 0 });
  const table = await runWarmctlBinary(['stats', '--task', `prices-${suffix}`], env);
  expect(table.stdout).toMatch(new RegExp(`prices-${suffix}\\s+1\\s+1\\s+0`));
  const bad = await runWarmctlBinary(['stats', '--since', 'yesterday'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/not a duration/);
});

test('login sends userLoggedIn as the auth service does; --no-forms leaves forms out; a bad user id exits 2', async () => {
  const user = uniqueName('u');
  origin.route(`/users/${user}/session`, () => ({ body: `session of ${user}` }));
  origin.route(`/users/${user}/navigation`, () => ({ body: '[]' }));
  origin.route(`/users/${user}/forms`, () => ({ body: '["f1"]' }));
  const userPreload = {
    session: {
      loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
      key: 'sess:{userId}',
      ttlSeconds: 60,
    },
    navigation: {
      loader: { type: 'http', url: `${origin.url}/users/{userId}/navigation` },
      key: 'nav:{userId}',
      ttlSeconds: 60,
    },
    forms: {
      list: { type: 'http', url: `${origin.url}/users/{userId}/forms` },
      item: { type: 'http', url: `${origin.url}/forms/{formId}` },
      key: 'form:{formId}',
      ttlSeconds: 60,
    },
  };
  expect(
    (await runWarmctlBinary(['apply', '-f', writeConfig(`${user}.json`, { tasks: [], userPreload })], env)).code,
  ).toBe(0);
  const sent = await runWarmctlBinary(['login', user, '--no-forms', '--json'], env);
  expect(sent.code).toBe(0);
  expect(JSON.parse(sent.stdout)).toEqual({
    workflowId: loginShardWorkflowId(stack.taskQueue, user),
    signal: 'userLoggedIn',
    payload: { userId: user, preloadForms: false },
  });
  await waitFor('the session preloaded', async () => (await stack.redis.get(`sess:${user}`)) === `session of ${user}`);
  expect(await stack.redis.exists(`nav:${user}`)).toBe(1);
  expect(origin.hitsFor(`/users/${user}/forms`)).toBe(0);
  const bad = await runWarmctlBinary(['login', 'two words'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
});

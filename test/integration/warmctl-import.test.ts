// warmctl import end to end: the built binary reads a key list (file or stdin), warms each key once
// through the applied config's pattern it matches, or a named loader, as bulk warms on the
// deployment's queue; bad lines are refused naming their line, and an unreadable list starts nothing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeyList } from '../../client/key-list';
import { Readable } from 'node:stream';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { stackEnv, uniqueName } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack({
  loaders: { loadUpper: (_args, context) => Promise.resolve(`upper-${(context.vars.key ?? '').toUpperCase()}`) },
  limits: { originRatePerSecond: 0 },
});
const origin = useTestOrigin();
const dir = mkdtempSync(join(tmpdir(), 'warmctl-import-'));
let env: Record<string, string>;
let run: string;

beforeAll(async () => {
  env = stackEnv(stack);
  run = uniqueName('imp');
  origin.route(`/${run}/p`, (req) => ({ body: `p-${new URL(req.url ?? '/', origin.url).searchParams.get('id')}` }));
  origin.route(`/${run}/u`, (req) => ({ body: `u-${new URL(req.url ?? '/', origin.url).searchParams.get('id')}` }));
  await stack.warming.apply({
    tasks: [],
    patterns: [
      { match: `${run}:p:{id}`, loader: { type: 'http', url: `${origin.url}/${run}/p?id={id}` }, ttlSeconds: 600 },
      {
        match: `${run}:u:{id}`,
        loader: { type: 'http', url: `${origin.url}/${run}/u?id={id}` },
        ttlSeconds: 300,
        tags: ['users'],
      },
    ],
    optimizer: { everyMinutes: 1440 },
  });
});

function listFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('warms each key through the pattern it matches; bad lines are refused by line number and the exit is 1', async () => {
  const file = listFile(
    'keys.txt',
    [`${run}:p:1`, `${run}:u:7`, '', `${run}:nope`, `${run}:p:2`, `${run}:p:1`, 'has space', `${stack.prefix}x`].join(
      '\n',
    ),
  );
  const result = await runWarmctlBinary(['import', '-f', file], env);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('warmctl: 3 lines refused, 0 keys failed\n');
  const lines = result.stdout.trim().split('\n');
  expect(lines[0]).toBe(`refused line 4: key "${run}:nope" matches no pattern of the applied config`);
  expect(lines[1]).toBe('refused line 7: key "has space" must not contain whitespace');
  expect(lines[2]).toContain(`refused line 8: key "${stack.prefix}x" is under the reserved prefix`);
  expect(lines[3]).toMatch(
    new RegExp(
      `^import of ${file}: 7 keys read \\(1 duplicate\\), 3 started in 2 bulk warms, 3 refused; 3 warmed, 0 superseded, 0 failed in `,
    ),
  );
  expect(await stack.redis.mget(`${run}:p:1`, `${run}:p:2`, `${run}:u:7`)).toEqual(['p-1', 'p-2', 'u-7']);
  // Each key has its own pattern's TTL and tags.
  expect(await stack.redis.ttl(`${run}:u:7`)).toBeLessThanOrEqual(300);
  expect(await stack.redis.ttl(`${run}:p:1`)).toBeGreaterThan(300);
  expect(await stack.redis.smembers(`${stack.prefix}tag:users`)).toEqual([`${run}:u:7`]);
});

test('reads JSON lines from stdin (-f -) and reports in JSON; --pattern keeps to one pattern', async () => {
  const stdin = [`{"key": "${run}:p:10"}`, `${run}:u:10`, '{"key": 5}', '{"id": "x"}', '{not json'].join('\n');
  const result = await runWarmctlBinary(['import', '-f', '-', '--pattern', `${run}:p:{id}`, '--json'], env, { stdin });
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(report).toMatchObject({ file: 'stdin', read: 5, started: 1, warmed: 1, failed: 0 });
  expect(report.refused).toEqual([
    { line: 2, reason: `key "${run}:u:10" does not match --pattern ${run}:p:{id}` },
    { line: 3, reason: 'key must be a string (got number)' },
    { line: 4, reason: 'unknown field "id" (a JSON line has only "key")' },
    { line: 5, reason: 'not valid JSON (a JSON line is {"key": "..."})' },
  ]);
  expect(await stack.redis.mget(`${run}:p:10`, `${run}:u:10`)).toEqual(['p-10', null]);
});

test('a named loader warms the keys verbatim with the given TTL and tags; all good lines exit 0', async () => {
  const file = listFile('loader.txt', `${run}:free:a\n${run}:free:b\n`);
  const result = await runWarmctlBinary(
    ['import', '-f', file, '--loader', 'loadUpper', '--ttl', '2m', '--tag', 'imported'],
    env,
  );
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toContain('2 keys read, 2 started in 1 bulk warm, 0 refused; 2 warmed');
  expect(await stack.redis.mget(`${run}:free:a`, `${run}:free:b`)).toEqual([
    `upper-${run.toUpperCase()}:FREE:A`,
    `upper-${run.toUpperCase()}:FREE:B`,
  ]);
  expect(await stack.redis.ttl(`${run}:free:a`)).toBeLessThanOrEqual(120);
  expect((await stack.redis.smembers(`${stack.prefix}tag:imported`)).sort()).toEqual([
    `${run}:free:a`,
    `${run}:free:b`,
  ]);
});

test('an unreadable list, an unknown pattern or bad options start nothing, with one line', async () => {
  const imports = () =>
    stack.temporal.workflow.count(`WorkflowType = 'bulkWarmWorkflow' AND TaskQueue = '${stack.taskQueue}'`);
  const before = (await imports()).count;
  const missing = await runWarmctlBinary(['import', '-f', join(dir, 'absent.txt')], env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^warmctl: cannot read .*absent\.txt: ENOENT[^\n]*\n$/);
  const unknown = await runWarmctlBinary(['import', '-f', '-', '--pattern', 'x:{id}'], env, { stdin: `${run}:p:99\n` });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe(
    `warmctl: --pattern x:{id} is not a pattern of the applied config (it has ${run}:p:{id}, ${run}:u:{id})\n`,
  );
  for (const [args, message] of [
    [['--loader', 'loadUpper'], '--loader needs --ttl'],
    [['--ttl', '1m'], '--ttl and --tag go with --loader (a pattern has its own)'],
    [['--loader', 'loadUpper', '--ttl', '1.5s'], "option '--ttl <duration>' argument '1.5s' is invalid."],
    [['--pattern', 'a:{id}', '--loader', 'x', '--ttl', '1m'], 'import takes --pattern or --loader, not both'],
  ] as const) {
    const bad = await runWarmctlBinary(['import', '-f', '-', ...args], env, { stdin: `${run}:p:99\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toContain(message);
  }
  const noFile = await runWarmctlBinary(['import'], env);
  expect(noFile.code).toBe(2);
  expect(await stack.redis.exists(`${run}:p:99`)).toBe(0);
  expect((await imports()).count).toBe(before);
});

test('a list larger than one workflow input is cut into several bulk warms, each within the limit', async () => {
  const ids = Array.from({ length: 300 }, (_, i) => `${run}:p:big${i}`);
  const list = await readKeyList(Readable.from(ids.join('\n')), stack.prefix);
  const report = await stack.warming.importKeys(list.keys, {}, { maxInputBytes: 2048 });
  expect(report.workflowIds.length).toBeGreaterThan(2);
  expect(report).toMatchObject({ started: 300, warmed: 300, failed: 0 });
  for (const workflowId of report.workflowIds) {
    const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(input?.length).toBeLessThan(2048 + 1024);
  }
  expect(await stack.redis.get(`${run}:p:big299`)).toBe(`p-big299`);
});

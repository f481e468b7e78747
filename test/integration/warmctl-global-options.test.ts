// warmctl's global options from the command line, against the real servers: each connection flag
// beats its environment variable, which beats the profile in the Temporal config file; --json and
// -o json print one JSON document on every command; --version; shell completion; and progress
// drawn on stderr only when stderr is a terminal.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loginShardWorkflowId } from '../../client/notify-user-logged-in';
import { redisKeys } from '../../store/redis-keys';
import { registerNamespace } from '../helpers/namespaces';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { stackEnv, testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(120_000);

const run = promisify(execFile);
const BIN = resolve(__dirname, '../../dist/cli/warmctl.js');
const UNREACHABLE_TEMPORAL = '127.0.0.1:1';
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';
const stack = useTestStack();
const origin = useTestOrigin({ '/v': () => ({ body: 'value' }) });
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'warmctl-globals-'));

beforeAll(async () => {
  env = stackEnv(stack);
});

function configFile(name: string, tasks: { taskId: string; cacheKey: string; tags?: string[] }[]): string {
  const file = join(dir, `${name}.json`);
  const full = tasks.map((task) => ({ ...task, loader: { type: 'http', url: `${origin.url}/v` }, ttlSeconds: 600 }));
  writeFileSync(file, JSON.stringify({ tasks: full }));
  return file;
}

async function applyOne(name: string, tags: string[] = []): Promise<string> {
  const taskId = uniqueName(name);
  const applied = await runWarmctlBinary(
    ['apply', '-f', configFile(taskId, [{ taskId, cacheKey: `${taskId}:v`, tags }])],
    env,
  );
  expect(applied).toMatchObject({ code: 0, stderr: '' });
  await waitFor(`${taskId} warmed`, async () => (await stack.redis.get(`${taskId}:v`)) === 'value');
  return taskId;
}

describe('connection flags beat the environment, which beats the profile', () => {
  test('--address beats TEMPORAL_ADDRESS', async () => {
    const taskId = await applyOne('addr');
    const wrong = { ...env, TEMPORAL_ADDRESS: UNREACHABLE_TEMPORAL };
    const result = await runWarmctlBinary(
      ['status', taskId, '--json', '--address', testServers().temporalAddress],
      wrong,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ taskId });
  });

  test('--profile picks a profile of the config file; the environment beats it, and --address beats both', async () => {
    const taskId = await applyOne('profile');
    const file = join(dir, 'temporal.toml');
    writeFileSync(
      file,
      `[profile.default]\naddress = "${UNREACHABLE_TEMPORAL}"\n\n[profile.warming]\naddress = "${testServers().temporalAddress}"\nnamespace = "default"\n\n[profile.broken]\naddress = "${UNREACHABLE_TEMPORAL}"\n`,
    );
    const { TEMPORAL_ADDRESS: _address, ...withoutAddress } = env;
    const byFlag = await runWarmctlBinary(
      ['status', taskId, '--config-file', file, '--profile', 'warming'],
      withoutAddress,
    );
    expect(byFlag).toMatchObject({ code: 0, stderr: '' });
    // The flag beats TEMPORAL_PROFILE; TEMPORAL_CONFIG_FILE is read like --config-file.
    const flagOverEnv = await runWarmctlBinary(['status', taskId, '--profile', 'warming'], {
      ...withoutAddress,
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'broken',
    });
    expect(flagOverEnv).toMatchObject({ code: 0, stderr: '' });
    const envOverProfile = await runWarmctlBinary(
      ['status', taskId, '--config-file', file, '--profile', 'broken'],
      env,
    );
    expect(envOverProfile).toMatchObject({ code: 0, stderr: '' });
    const flagOverAll = await runWarmctlBinary(
      ['status', taskId, '--config-file', file, '--profile', 'broken', '--address', testServers().temporalAddress],
      { ...env, TEMPORAL_ADDRESS: UNREACHABLE_TEMPORAL },
    );
    expect(flagOverAll).toMatchObject({ code: 0, stderr: '' });
    const missing = await runWarmctlBinary(['tasks', '--config-file', file, '--profile', 'nope'], withoutAddress);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe(
      `warmctl: Temporal client config (TEMPORAL_CONFIG_FILE ${file}): Profile 'nope' not found in config data\n`,
    );
  });

  test('-n/--namespace beats TEMPORAL_NAMESPACE: a login lands in the namespace the flag names', async () => {
    const namespace = await registerNamespace(uniqueName('cw-ns'));
    const user = uniqueName('ns-user');
    const sent = await runWarmctlBinary(['login', user, '--json', '--namespace', namespace], {
      ...env,
      TEMPORAL_NAMESPACE: 'no-such-namespace',
    });
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const shardId = loginShardWorkflowId(stack.taskQueue, user);
    expect(JSON.parse(sent.stdout)).toMatchObject({ workflowId: shardId });
    const inNamespace = await stack.temporal.connection.workflowService.describeWorkflowExecution({
      namespace,
      execution: { workflowId: shardId },
    });
    expect(inNamespace.workflowExecutionInfo?.type?.name).toBe('userLoginsWorkflow');
    await expect(stack.temporal.workflow.getHandle(shardId).describe()).rejects.toThrow(/not found/i);
    const unknown = await runWarmctlBinary(['tasks', '-n', 'no-such-namespace'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^warmctl: .*no-such-namespace/);
  });

  test('--task-queue beats TEMPORAL_TASK_QUEUE', async () => {
    const taskId = await applyOne('queue');
    const other = { ...env, TEMPORAL_TASK_QUEUE: uniqueName('other-queue') };
    const refused = await runWarmctlBinary(['warm', taskId], other);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/belongs to another deployment/);
    const warmed = await runWarmctlBinary(['warm', taskId, '--json', '--task-queue', stack.taskQueue], other);
    expect(warmed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(warmed.stdout)).toMatchObject({ ok: true });
  });

  test('--redis-url and --prefix beat REDIS_URL and WARMING_PREFIX', async () => {
    const tag = uniqueName('flagtag');
    const key = `${tag}:value`;
    const keys = redisKeys(stack.prefix);
    await stack.redis.set(key, 'x');
    await stack.redis.sadd(keys.tag(tag), key);
    const wrong = { ...env, REDIS_URL: UNREACHABLE_REDIS, WARMING_PREFIX: 'elsewhere:' };
    const result = await runWarmctlBinary(
      ['invalidate', '--tag', tag, '--json', '--redis-url', testServers().redisUrl, '--prefix', stack.prefix],
      wrong,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ keys: [key] });
    expect(await stack.redis.exists(key)).toBe(0);
    const badUrl = await runWarmctlBinary(['tasks', '--redis-url', 'http://nope'], env);
    expect(badUrl).toMatchObject({ code: 2, stdout: '' });
    expect(badUrl.stderr).toMatch(/--redis-url.*must be a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe('--json and -o json on every command', () => {
  test('every command prints exactly one JSON document on stdout', async () => {
    const tag = uniqueName('jtag');
    const taskId = await applyOne('json', [tag]);
    const user = uniqueName('json-user');
    const html = join(dir, 'report.html');
    const file = configFile(uniqueName('json-apply'), [{ taskId, cacheKey: `${taskId}:v`, tags: [tag] }]);
    const commands: string[][] = [
      ['apply', '-f', file],
      ['tasks'],
      ['status', taskId],
      ['warm', taskId],
      ['warm', '--tag', tag],
      ['warm', taskId, '--no-wait'],
      ['pause', taskId],
      ['resume', taskId],
      ['login', user],
      ['optimize'],
      ['optimizer', 'status'],
      ['optimizer', 'pause'],
      ['optimizer', 'resume'],
      ['invalidate', '--tag', tag, '--rewarm'],
      ['stats', '--task', taskId],
      ['report', '--html', html],
      ['completion', 'bash'],
      ['import', '-f', '-', '--loader', 'loadNothing', '--ttl', '1m'],
      ['teardown', '--dry-run'],
      ['--version'],
      ['remove', taskId],
    ];
    for (const [i, command] of commands.entries()) {
      // Alternate the two spellings and where they stand.
      const args = i % 2 === 0 ? [...command, '--json'] : ['-o', 'json', ...command];
      const result = await runWarmctlBinary(args, env);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(() => JSON.parse(result.stdout)).not.toThrow();
      expect(result.stdout.trim().startsWith('{') || result.stdout.trim().startsWith('[')).toBe(true);
    }
  });

  test('-o text is the default output and any other format exits 2', async () => {
    const text = await runWarmctlBinary(['tasks', '-o', 'text'], env);
    expect(text.code).toBe(0);
    expect(() => JSON.parse(text.stdout)).toThrow();
    const yaml = await runWarmctlBinary(['tasks', '-o', 'yaml'], env);
    expect(yaml).toMatchObject({ code: 2, stdout: '' });
    expect(yaml.stderr).toMatch(/^warmctl: option '-o, --output <format>' argument 'yaml' is invalid/);
  });
});

test('--version prints the package version, as text or JSON', async () => {
  const { version } = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
  expect(await runWarmctlBinary(['--version'], env)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  expect(JSON.parse((await runWarmctlBinary(['-v', '--json'], env)).stdout)).toEqual({ version });
});

describe('shell completion', () => {
  /** What bash completes for the words typed so far (the last one being completed). */
  async function complete(shellWords: string[]): Promise<string[]> {
    const script = (await runWarmctlBinary(['completion', 'bash'], env)).stdout;
    const file = join(dir, 'warmctl.bash');
    writeFileSync(file, script);
    const quoted = shellWords.map((word) => `'${word}'`).join(' ');
    const { stdout } = await run('bash', [
      '-c',
      `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${shellWords.length - 1}; _warmctl; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ]);
    return stdout.split('\n').filter(Boolean).sort();
  }

  test('bash completes commands, their options, global options and fixed values', async () => {
    expect(await complete(['warmctl', 'st'])).toEqual(['stats', 'status']);
    expect(await complete(['warmctl', '--address', 'x:1', 'warm', '--cr'])).toEqual(['--critical']);
    expect(await complete(['warmctl', 'tasks', '--tls-s'])).toEqual(['--tls-server-name']);
    expect(await complete(['warmctl', 'optimizer', 'p'])).toEqual(['pause']);
    expect(await complete(['warmctl', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(await complete(['warmctl', 'te'])).toEqual(['teardown']);
    expect(await complete(['warmctl', 'import', '--lo'])).toEqual(['--loader']);
    expect(await complete(['warmctl', 'teardown', '--'])).toEqual(
      expect.arrayContaining(['--dry-run', '--values', '--yes']),
    );
    expect(await complete(['warmctl', 'tasks', '-o', 'j'])).toEqual(['json']);
    expect(await complete(['warmctl', 'apply', '-f', join(dir, 'warmctl.ba')])).toEqual([join(dir, 'warmctl.bash')]);
  });

  test('zsh gets the same completion through bashcompinit', async () => {
    const zsh = await runWarmctlBinary(['completion', 'zsh'], env);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(zsh.stdout).toContain(
      (await runWarmctlBinary(['completion', 'bash'], env)).stdout.split('\n').slice(2).join('\n'),
    );
  });
});

describe('progress', () => {
  function manyTasks(count: number): { file: string; ids: string[] } {
    const name = uniqueName('many');
    const tasks = Array.from({ length: count }, (_, i) => ({ taskId: `${name}-${i}`, cacheKey: `${name}:${i}` }));
    return { file: configFile(name, tasks), ids: tasks.map((task) => task.taskId) };
  }

  test('is drawn on stderr when it is a terminal, and never reaches stdout', async () => {
    const { file } = manyTasks(30);
    const out = join(dir, 'apply.json');
    // `script` gives the command a terminal; stdout goes to a file, so the terminal shows stderr only.
    const { stdout: terminal } = await run(
      'script',
      ['-qec', `'${process.execPath}' '${BIN}' apply -f '${file}' --json > '${out}'`, '/dev/null'],
      { env: { PATH: process.env.PATH ?? '', ...env } },
    );
    expect(terminal).toMatch(new RegExp(`applying ${file}: 30/30`));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ created: 30 });
  });

  test('is not drawn when stderr is not a terminal', async () => {
    const { file } = manyTasks(30);
    const result = await runWarmctlBinary(['apply', '-f', file], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const stats = await runWarmctlBinary(['stats'], env);
    expect(stats).toMatchObject({ code: 0, stderr: '' });
  });
});

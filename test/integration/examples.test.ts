// The runnable examples against the real dev server and a worker: the TypeScript auth service
// (examples/auth-service, built to dist/) and the Python login report (examples/python, run with
// the Temporal Python SDK that bootstrap installs in .tools/python). Each reports a login the
// documented way, and the worker preloads the user's data into Redis.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loginShardWorkflowId } from '../../client/notify-user-logged-in';
import { stopProcess } from '../../scripts/local-stack';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../..');
const AUTH_SERVICE = resolve(ROOT, 'dist/examples/auth-service/main.js');
const PYTHON = resolve(ROOT, '.tools/python/bin/python');
const REPORT_LOGIN_PY = resolve(ROOT, 'examples/python/report_login.py');
const stack = useTestStack({ worker: false }); // started once the config is applied
const origin = useTestOrigin();
const children: ChildProcess[] = [];

beforeAll(async () => {
  origin.route('/session', (request) => ({
    body: `session of ${new URL(request.url ?? '', 'http://x').searchParams.get('u')}`,
  }));
  origin.route('/navigation', () => ({ body: '[]' }));
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/session?u={userId}` },
        key: 'ex:{userId}:session',
        ttlSeconds: 60,
      },
      navigation: { loader: { type: 'http', url: `${origin.url}/navigation` }, key: 'ex:{userId}:nav', ttlSeconds: 60 },
    },
  });
  await stack.startWorker();
});

afterAll(async () => {
  await Promise.all(children.map((child) => stopProcess(child)));
});

function temporalEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    ...extra,
  };
}

async function expectPreloaded(userId: string): Promise<void> {
  await waitFor(
    `${userId}'s session preloaded`,
    async () => (await stack.redis.get(`ex:${userId}:session`)) === `session of ${userId}`,
  );
  const description = await stack.temporal.workflow.getHandle(loginShardWorkflowId(stack.taskQueue, userId)).describe();
  expect(description.type).toBe('userLoginsWorkflow');
  expect(description.taskQueue).toBe(stack.taskQueue);
}

describe('TypeScript auth service (examples/auth-service)', () => {
  /** Starts the built example and resolves with its base URL once it listens. */
  async function startAuthService(env: Record<string, string>): Promise<{ url: string; stderr: () => string }> {
    if (!existsSync(AUTH_SERVICE))
      throw new Error(`${AUTH_SERVICE} is missing: npm test builds it first (npm run build)`);
    const child = spawn(process.execPath, [AUTH_SERVICE], {
      env: { AUTH_SERVICE_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await waitFor('the auth service listening', () => {
      if (child.exitCode !== null) throw new Error(`the auth service exited: ${stderr}`);
      return /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    });
    return { url, stderr: () => stderr };
  }

  const login = (url: string, body: unknown) =>
    fetch(`${url}/login`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  test('a login is reported with loadClientConnectConfig settings and the user is preloaded', async () => {
    const service = await startAuthService(temporalEnv());
    const userId = uniqueName('ts-user');
    const response = await login(service.url, { userId, password: 'secret' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId, loggedIn: true, preload: 'requested' });
    await expectPreloaded(userId);
    const bad = await login(service.url, { userId: 'two words' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'userId must not contain whitespace or control characters' });
  });

  test('with Temporal unreachable the login still succeeds within the timeout, and the failure is logged', async () => {
    const service = await startAuthService(
      temporalEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', REPORT_LOGIN_TIMEOUT_MS: '500' }),
    );
    const userId = uniqueName('ts-down');
    const started = Date.now();
    const response = await login(service.url, { userId });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await response.json()).toEqual({ userId, loggedIn: true, preload: 'not requested' });
    await waitFor('the failure logged', () => service.stderr().includes(`login of ${userId} not reported`));
    expect(service.stderr().trim().split('\n')).toHaveLength(1);
  });
});

describe('Python (examples/python/report_login.py, Temporal Python SDK)', () => {
  function reportLogin(
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    if (!existsSync(PYTHON))
      throw new Error(`${PYTHON} is missing: run npm run bootstrap (it installs the Temporal Python SDK)`);
    return new Promise((resolveRun) => {
      execFile(PYTHON, [REPORT_LOGIN_PY, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  }

  test('the documented signal-with-start from Python preloads the user', async () => {
    const userId = uniqueName('py-user');
    const result = await reportLogin([userId, '--no-forms'], temporalEnv());
    expect(result).toEqual({
      code: 0,
      stdout: `reported the login of ${userId} to ${loginShardWorkflowId(stack.taskQueue, userId)}\n`,
      stderr: '',
    });
    await expectPreloaded(userId);
    // The payload is the documented one, as the workflow received it.
    const history = await stack.temporal.workflow
      .getHandle(loginShardWorkflowId(stack.taskQueue, userId))
      .fetchHistory();
    const payloads = (history.events ?? [])
      .map((event) => event.workflowExecutionSignaledEventAttributes)
      .filter((attributes) => attributes?.signalName === 'userLoggedIn')
      .map((attributes) => JSON.parse(Buffer.from(attributes?.input?.payloads?.[0]?.data ?? []).toString('utf8')));
    expect(payloads).toContainEqual({ userId, preloadForms: false });
  });

  test('--wait-ms waits for the preload through the waitForUserPreload update: the data is there on return', async () => {
    const userId = uniqueName('py-wait');
    const result = await reportLogin([userId, '--no-forms', '--wait-ms', '10000'], temporalEnv());
    expect(result).toEqual({
      code: 0,
      stdout:
        `reported the login of ${userId} to ${loginShardWorkflowId(stack.taskQueue, userId)}\n` +
        `preload of ${userId}: preloaded\n`,
      stderr: '',
    });
    // Read once, right after the process returned: no waiting for it here.
    expect(await stack.redis.get(`ex:${userId}:session`)).toBe(`session of ${userId}`);
    const bad = await reportLogin([userId, '--wait-ms', '-5'], temporalEnv());
    expect(bad).toEqual({ code: 2, stdout: '', stderr: 'report_login: --wait-ms must be from 0 to 60000 (got -5)\n' });
  });

  test('an unreachable Temporal or a bad user id gives one line and a non-zero exit', async () => {
    const down = await reportLogin([uniqueName('py-down')], temporalEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }));
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^report_login: /);
    const bad = await reportLogin(['two words'], temporalEnv());
    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr: 'report_login: userId must not contain whitespace or control characters\n',
    });
  });
});

// A misbehaving origin: errors, timeouts, dropped connections, slowness and downtime. Transient
// failures are retried with exponential backoff, a warm that still fails keeps the stale value and
// is counted, a slow origin is waited for rather than loaded twice.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { findFreePort } from '../../scripts/local-stack';
import { uniqueName, waitFor } from '../helpers/test-env';
import { type OriginReply } from '../helpers/test-origin';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(90_000);

const stack = useTestStack();
const origin = useTestOrigin();

async function applyTask(path: string, loader: { timeoutSeconds?: number } = {}, url = `${origin.url}${path}`) {
  const taskId = uniqueName('origin');
  const cacheKey = `${taskId}:v`;
  await stack.warming.apply({
    tasks: [{ taskId, cacheKey, loader: { type: 'http', url, ...loader }, ttlSeconds: 600, intervalMinutes: 60 }],
  });
  await waitFor('the first warm', async () => (await stack.warming.status(taskId)).warmCount === 1);
  return { taskId, cacheKey };
}

test('mixed transient failures are retried with exponential backoff; then the stale value stays and the failure is counted', async () => {
  const path = `/${uniqueName('mixed')}`;
  const at: number[] = [];
  const failures: ((request: IncomingMessage) => OriginReply)[] = [
    () => ({ status: 503, body: 'busy' }),
    () => ({ body: 'too late', delayMs: 15_000 }), // far over the 1 s loader timeout
    (request) => {
      request.socket.destroy(); // connection reset mid-request
      return { body: '' };
    },
    () => ({ status: 429, body: 'slow down' }),
    () => ({ status: 500, body: 'oops' }),
  ];
  origin.route(path, (request, hit) => {
    if (hit === 1) return { body: 'good' };
    at.push(Date.now());
    const fail = failures[hit - 2] ?? (() => ({ status: 503 }));
    return fail(request);
  });
  const { taskId, cacheKey } = await applyTask(path, { timeoutSeconds: 1 });

  const outcome = await stack.warming.warm(taskId, { reason: 'origin in trouble' });
  expect(outcome?.ok).toBe(false);
  expect(outcome?.error).toMatch(/OriginUnavailable: GET .* answered 500/);
  // Five attempts, and no more: the retry policy's limit.
  expect(at).toHaveLength(5);
  // Backoff: 1 s, 2 s, 4 s, 8 s between attempts (after the time the failed attempt itself took).
  const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
  [1_000, 2_000 + 1_000, 4_000, 8_000].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min * 0.95));
  expect(await stack.redis.get(cacheKey)).toBe('good');
  expect(await stack.redis.ttl(cacheKey)).toBeGreaterThan(500);
  const status = await stack.warming.status(taskId);
  expect(status).toMatchObject({ warmCount: 1, failureCount: 1 });
  // After a failure the schedule tries again sooner than the 60-minute interval: in 5 minutes.
  const finishedMs = Date.parse(status.lastResult?.finishedAt as string);
  expect(Date.parse(status.nextWarmAt as string) - finishedMs).toBe(5 * 60_000);
  const stats = await stack.warming.stats({ taskId });
  expect(stats).toMatchObject({ totalWarmings: 2, succeeded: 1, failed: 1 });
});

test('a load that times out is retried, and the next attempt is stored', async () => {
  const path = `/${uniqueName('timeout')}`;
  origin.route(path, (_req, hit) => ({ body: `v${hit}`, delayMs: hit === 2 ? 15_000 : 0 })); // far over the timeout
  const { taskId, cacheKey } = await applyTask(path, { timeoutSeconds: 1 });
  const outcome = await stack.warming.warm(taskId);
  expect(outcome).toMatchObject({ ok: true, result: { attempt: 2, written: true } });
  expect(await stack.redis.get(cacheKey)).toBe('v3');
});

test.each([
  { name: 'a slow origin within the timeout is waited for and loaded once', delayMs: 2_500, timeoutSeconds: 10 },
  {
    name: 'a load longer than the workflow task timeout (10 s) completes once: the local activity is not cut off or rerun',
    delayMs: 12_000,
    timeoutSeconds: 20,
  },
])('$name', async ({ delayMs, timeoutSeconds }) => {
  const path = `/${uniqueName('slow')}`;
  origin.route(path, (_req, hit) => ({ body: `v${hit}`, delayMs: hit === 2 ? delayMs : 0 }));
  const { taskId, cacheKey } = await applyTask(path, { timeoutSeconds });
  const outcome = await stack.warming.warm(taskId);
  expect(outcome).toMatchObject({ ok: true, result: { attempt: 1, written: true } });
  expect(outcome?.result?.loadMs).toBeGreaterThanOrEqual(delayMs - 100);
  expect(origin.hitsFor(path)).toBe(2);
  expect(await stack.redis.get(cacheKey)).toBe('v2');
  expect((await stack.warming.status(taskId)).warmCount).toBe(2);
});

test('an origin that is down is retried until it comes back', async () => {
  const port = await findFreePort();
  let served = 0;
  const listen = () =>
    new Promise<Server>((resolve) => {
      const server = createServer((_req, res) => res.end(`up${++served}`));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  let server: Server | undefined = await listen();
  try {
    const { taskId, cacheKey } = await applyTask('/', {}, `http://127.0.0.1:${port}/`);
    await close(server);
    server = undefined;
    const warming = stack.warming.warm(taskId, { reason: 'origin down' });
    // The origin stays down for 2.5 s: refused connections fail the first attempts (retries
    // after about 1 and 3 s), and the warm goes on retrying until it is back.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    server = await listen();
    const outcome = await warming;
    expect(outcome).toMatchObject({ ok: true, result: { written: true } });
    expect(outcome?.result?.attempt).toBeGreaterThanOrEqual(2);
    expect(await stack.redis.get(cacheKey)).toBe('up2');
  } finally {
    if (server) await close(server);
  }
});

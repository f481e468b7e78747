// Garbage from outside at run time: oversized loader responses (with and without a declared
// length), malformed signals and updates sent straight to a task workflow, and payloads the data
// converter cannot even decode. Each is refused or dropped; the stale value stays, the workflow
// keeps running and the worker keeps serving.
import { taskWorkflowId } from '../../workflows';
import { uniqueName, waitFor } from '../helpers/test-env';
import { type TestOrigin } from '../helpers/test-origin';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const MAX_VALUE_BYTES = 64 * 1024;
const stack = useTestStack({ limits: { maxValueBytes: MAX_VALUE_BYTES } });
const origin = useTestOrigin();

async function applyTask(route: Parameters<TestOrigin['route']>[1], extra: { adaptive?: boolean } = {}) {
  const taskId = uniqueName('bad');
  const cacheKey = `${taskId}:v`;
  origin.route(`/${taskId}`, route);
  const task = {
    taskId,
    cacheKey,
    loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
    ttlSeconds: 600,
    intervalMinutes: 600,
    ...extra,
  };
  await stack.warming.apply({ tasks: [task] });
  await waitFor('the first warm', async () => (await stack.warming.status(taskId)).warmCount === 1);
  return { taskId, cacheKey, task, handle: stack.temporal.workflow.getHandle(taskWorkflowId(taskId)) };
}

test.each([
  ['a declared Content-Length', (body: Buffer) => ({ body })],
  [
    'no declared length (chunked)',
    (body: Buffer) => ({ body, headers: { 'transfer-encoding': 'chunked' } as Record<string, string> }),
  ],
])('a response over the size cap with %s fails at once, and the stale value stays', async (_how, reply) => {
  const big = Buffer.alloc(MAX_VALUE_BYTES + 1, 'x');
  const { taskId, cacheKey } = await applyTask((_req, hit) => (hit === 1 ? { body: 'small' } : reply(big)));
  const outcome = await stack.warming.warm(taskId);
  expect(outcome?.ok).toBe(false);
  expect(outcome?.error).toMatch(new RegExp(`ValueTooLarge: .* over the ${MAX_VALUE_BYTES}-byte limit`));
  expect(origin.hitsFor(`/${taskId}`)).toBe(2); // not retried
  expect(await stack.redis.get(cacheKey)).toBe('small');
  expect(await stack.warming.status(taskId)).toMatchObject({ warmCount: 1, failureCount: 1 });
});

test('a response of exactly the cap is stored', async () => {
  const exact = Buffer.alloc(MAX_VALUE_BYTES, 'y');
  const { taskId, cacheKey } = await applyTask(() => ({ body: exact }));
  expect(await stack.warming.warm(taskId)).toMatchObject({ ok: true, result: { sizeBytes: MAX_VALUE_BYTES } });
  expect(await stack.redis.strlen(cacheKey)).toBe(MAX_VALUE_BYTES);
});

test('a non-JSON or binary response is stored byte for byte (http values are opaque)', async () => {
  const bytes = Buffer.from([0, 255, 1, 254, 10, 13, 0x7b]);
  const { cacheKey } = await applyTask(() => ({
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  }));
  expect(await stack.redis.getBuffer(cacheKey)).toEqual(bytes);
});

test('malformed setInterval signals are dropped and payloads of pause and resume are ignored; the schedule is unchanged', async () => {
  const { taskId, handle } = await applyTask((_req, hit) => ({ body: `v${hit}` }), { adaptive: true });
  for (const payload of [
    undefined,
    null,
    'soon',
    [5],
    { intervalMinutes: -1 },
    { intervalMinutes: '15' },
    { intervalMinutes: 1e9 },
  ]) {
    await handle.signal('setInterval', payload);
  }
  await handle.signal('pause', { unexpected: true });
  await handle.signal('resume', 42);
  const status = await stack.warming.status(taskId);
  expect(status.intervalMinutes).toBe(600);
  expect(status.paused).toBe(false);
  expect((await handle.describe()).status.name).toBe('RUNNING');
});

test.each([
  ['a negative TTL', { ttlSeconds: -5 }],
  ['an unknown loader type', { loader: { type: 'ftp', url: 'ftp://x/' } }],
  ['a key with whitespace', { cacheKey: 'has space' }],
  ['a URL placeholder in the host', { loader: { type: 'http', url: 'http://{id}.example/' } }],
  ['an unknown field', { surprise: true }],
])('an applyTask update with %s is rejected by its validator and changes nothing', async (_what, change) => {
  const { taskId, task, handle, cacheKey } = await applyTask((_req, hit) => ({ body: `v${hit}` }));
  await expect(
    handle.executeUpdate('applyTask', {
      args: [{ ...task, priority: 10, tags: [], critical: false, adaptive: true, ...change }],
    }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^applyTask: /) } });
  const status = await stack.warming.status(taskId);
  expect(status).toMatchObject({ cacheKey, failureCount: 0 });
  expect(await stack.warming.warm(taskId)).toMatchObject({ ok: true });
  expect(await stack.redis.get(cacheKey)).toBe('v2');
});

test('a warmNow update with a malformed payload is rejected and warms nothing', async () => {
  const { taskId, handle } = await applyTask((_req, hit) => ({ body: `v${hit}` }));
  await expect(handle.executeUpdate('warmNow', { args: [{ reason: 42 }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/reason/) },
  });
  await expect(handle.executeUpdate('warmNow', { args: ['now'] })).rejects.toThrow('Workflow Update failed');
  expect((await stack.warming.status(taskId)).warmCount).toBe(1);
  expect(origin.hitsFor(`/${taskId}`)).toBe(1);
});

test('a signal whose payload cannot be decoded does not block the workflow', async () => {
  const { taskId, handle } = await applyTask((_req, hit) => ({ body: `v${hit}` }));
  const { runId } = await handle.describe();
  // Straight through the gRPC API, as any client could: an encoding no converter knows.
  await stack.temporal.workflowService.signalWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: taskWorkflowId(taskId), runId },
    signalName: 'forceWarm',
    input: { payloads: [{ metadata: { encoding: Buffer.from('application/x-garbage') }, data: Buffer.from('??') }] },
    identity: 'bad-input test',
  });
  await handle.signal('forceWarm', { reason: 'json/plain, but not JSON' }); // fine: a control
  const outcome = await stack.warming.warm(taskId, { reason: 'after the garbage' });
  expect(outcome?.ok).toBe(true);
  expect((await handle.describe()).status.name).toBe('RUNNING');
});

// Two `apply`s of different specs of one task at the same time: the applied spec hashes
// (`<prefix>applied`) still match what the task workflow runs, so the next apply reports what it
// really does. The race is made deterministic: the first apply's write of its hash waits until
// the second apply has either written its own hash or been made to wait for the first.
import type { Redis } from 'ioredis';
import { createWarmingClient, type WarmingClient } from '../../client/warming-client';
import { specHash } from '../../client/spec-hash';
import { parseWarmingConfig } from '../../core/config-schema';
import { AppliedSpecs } from '../../store/applied-specs';
import { withLeaseLock } from '../../store/lease-lock';
import { redisKeys } from '../../store/redis-keys';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();

/** What a connection was asked to do that matters here. */
type Event = 'wrote applied hash' | 'waited for the apply lock';

/**
 * `redis` with calls watched: `before` runs (and is awaited) before a write of the applied hashes;
 * `seen` hears that write done, or the apply lock found held.
 */
function watched(redis: Redis, appliedKey: string, hooks: { before?: () => Promise<void>; seen?: (e: Event) => void }) {
  // A plain HSET before the apply lock, the fenced script since.
  const writesApplied = (name: string, args: unknown[]) =>
    (name === 'hset' && args[0] === appliedKey) || name === 'cw_update_applied';
  return new Proxy(redis, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property, target);
      if (typeof member !== 'function' || typeof property !== 'string') return member;
      const call = (member as (...a: unknown[]) => unknown).bind(target);
      if (!['hset', 'cw_update_applied', 'cw_acquire_lock'].includes(property)) return call;
      return async (...args: unknown[]) => {
        const writing = writesApplied(property, args);
        if (writing) await hooks.before?.();
        const result = await call(...args);
        if (writing) hooks.seen?.('wrote applied hash');
        if (property === 'cw_acquire_lock' && Number(result) === 0) hooks.seen?.('waited for the apply lock');
        return result;
      };
    },
  });
}

function client(redis: Redis): Promise<WarmingClient> {
  return createWarmingClient({
    client: stack.temporal,
    redis,
    taskQueue: stack.taskQueue,
    prefix: stack.prefix,
    workerTimeoutMs: 20_000,
    optimizerWorkflowId: stack.warming.optimizerWorkflowId,
  });
}

test('two concurrent applies of different specs leave the applied hash matching the workflow; the next apply tells the truth', async () => {
  const taskId = uniqueName('race');
  origin.route(`/${taskId}`, () => ({ body: 'v' }));
  const spec = (intervalMinutes: number) => ({
    taskId,
    cacheKey: `${taskId}:v`,
    loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
    ttlSeconds: 600,
    intervalMinutes,
    adaptive: false,
  });
  const optimizer = { everyMinutes: 1440 };
  await stack.warming.apply({ tasks: [spec(100)], optimizer });
  await waitFor('the task listed', async () => (await stack.warming.listTaskIds()).includes(taskId));

  const appliedKey = redisKeys(stack.prefix).appliedSpecs();
  let secondApply: Promise<unknown> | undefined;
  let secondGotFar: () => void = () => undefined;
  const secondFar = new Promise<void>((resolve) => (secondGotFar = resolve));
  const second = await client(watched(stack.redis, appliedKey, { seen: () => secondGotFar() }));
  const first = await client(
    watched(stack.redis, appliedKey, {
      // The first apply has updated the workflow to its spec: now the second one runs, as far as it gets.
      before: async () => {
        secondApply ??= second.apply({ tasks: [spec(300)], optimizer });
        await secondFar;
      },
    }),
  );
  try {
    expect(await first.apply({ tasks: [spec(200)], optimizer })).toMatchObject({ updated: 1 });
    expect(await secondApply).toMatchObject({ updated: 1 });
  } finally {
    await Promise.all([first.close(), second.close()]);
  }

  // What runs and what is recorded as applied are the same spec.
  const running = (await stack.warming.status(taskId)).intervalMinutes;
  const runningSpec = parseWarmingConfig({ tasks: [spec(running)] }).tasks[0];
  expect(await stack.redis.hget(appliedKey, taskId)).toBe(specHash(runningSpec as Parameters<typeof specHash>[0]));

  // Re-applying the first spec: the workflow runs the second, so it must be updated, not skipped.
  const again = await stack.warming.apply({ tasks: [spec(200)], optimizer });
  expect(again.tasks).toEqual([
    running === 200 ? { taskId, action: 'unchanged' } : expect.objectContaining({ taskId, action: 'updated' }),
  ]);
  expect((await stack.warming.status(taskId)).intervalMinutes).toBe(200);
});

test('an apply whose lock was taken over records nothing, and says so in one line', async () => {
  const keys = redisKeys(stack.prefix);
  const specs = new AppliedSpecs(stack.redis, keys);
  const taskId = uniqueName('fenced');
  const refused = await withLeaseLock(stack.redis, keys.applyLock(), {}, async (lock) => {
    // As if this holder stalled past its lease and another apply took the lock.
    await stack.redis.set(keys.applyLock(), 'another-apply', 'PX', 30_000);
    return specs.set(lock, taskId, 'stale-hash').catch((err: unknown) => err);
  });
  expect(String(refused)).toMatch(/^Error: lost the lock .*apply before recording what was applied: run it again$/);
  expect(await stack.redis.hget(keys.appliedSpecs(), taskId)).toBeNull();
  // Its release left the other holder's lock alone.
  expect(await stack.redis.get(keys.applyLock())).toBe('another-apply');
  await stack.redis.del(keys.applyLock());
});

test('an apply waits for the one holding the lock, and a holder that died holds it no longer than its lease', async () => {
  const keys = redisKeys(stack.prefix);
  // A holder that died with 1 s left on its lease.
  await stack.redis.set(keys.applyLock(), 'dead-holder', 'PX', 1_000);
  const started = Date.now();
  const report = await stack.warming.apply({ tasks: [], optimizer: { everyMinutes: 1440 } });
  expect(report).toMatchObject({ created: 0, updated: 0 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  expect(await stack.redis.exists(keys.applyLock())).toBe(0);
});

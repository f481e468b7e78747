// The warming client is made of parts (`warming.tasks.warm`, `warming.config.apply`, ...); the flat
// names it had before (`warming.warm`, `warming.apply`, ...) keep working, each calling its part's
// method with the same arguments and `this`, and returning what that returns.
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { WarmingClient } from '../../client/warming-client';

const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
afterAll(() => redis.disconnect());

function client(): WarmingClient {
  return new WarmingClient({
    temporal: { workflow: {} } as unknown as Client,
    redis,
    taskQueue: 'facade',
    prefix: 'facade:',
    optimizerWorkflowId: 'warm-optimizer',
    onClose: async () => undefined,
  });
}

/** Every flat name of 0.3's WarmingClient, with the part and method it now belongs to. */
const FLAT = [
  ['apply', 'config', 'apply'],
  ['appliedConfig', 'config', 'applied'],
  ['listTaskIds', 'tasks', 'listIds'],
  ['listTasks', 'tasks', 'list'],
  ['status', 'tasks', 'status'],
  ['warm', 'tasks', 'warm'],
  ['pause', 'tasks', 'pause'],
  ['resume', 'tasks', 'resume'],
  ['remove', 'tasks', 'remove'],
  ['warmFleet', 'fleet', 'warm'],
  ['warmByTag', 'fleet', 'warmByTag'],
  ['warmCritical', 'fleet', 'warmCritical'],
  ['pauseByTag', 'fleet', 'pauseByTag'],
  ['optimize', 'optimizer', 'runCycle'],
  ['optimizerStatus', 'optimizer', 'status'],
  ['pauseOptimizer', 'optimizer', 'pause'],
  ['invalidateTag', 'keyWarming', 'invalidateTag'],
  ['rewarmKeys', 'keyWarming', 'rewarm'],
  ['importKeys', 'keyWarming', 'import'],
  ['ensureSearchAttributes', 'deployment', 'ensureSearchAttributes'],
  ['teardown', 'deployment', 'teardown'],
  ['stats', 'history', 'stats'],
  ['reportData', 'history', 'reportData'],
] as const;

test.each(FLAT)('warming.%s(...) is warming.%s.%s(...)', async (flat, part, method) => {
  const warming = client();
  const owner = warming[part] as unknown as Record<string, unknown>;
  let seen: { self: unknown; args: unknown[] } | undefined;
  owner[method] = function (this: unknown, ...args: unknown[]) {
    seen = { self: this, args };
    return Promise.resolve(`${part}.${method}`);
  };
  const call = (warming as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[flat];
  await expect(call?.call(warming, 'a', { b: 1 })).resolves.toBe(`${part}.${method}`);
  expect(seen).toEqual({ self: owner, args: ['a', { b: 1 }] });
});

test("no flat name is left out, and the class's own public methods stay few", () => {
  const prototype = WarmingClient.prototype as unknown as Record<string, unknown>;
  const flat = Object.getOwnPropertyNames(prototype).filter(
    (name) => name !== 'constructor' && name !== 'close' && typeof prototype[name] === 'function',
  );
  expect(flat.sort()).toEqual(FLAT.map(([name]) => name).sort());
});

test('each part keeps to about ten public methods', () => {
  const warming = client();
  for (const part of new Set(FLAT.map(([, p]) => p))) {
    const prototype = Object.getPrototypeOf(warming[part]) as Record<string, unknown>;
    const methods = Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor');
    expect({ part, count: methods.length <= 10 }).toEqual({ part, count: true });
  }
});

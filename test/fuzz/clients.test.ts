// Fuzz of the client-side boundaries: the cache client applications read through (get,
// getOrCompute, warm, recordAccess, invalidateByTags with hostile keys, tags, TTLs and values), and
// warmctl (hostile task ids, tags and user ids on its command line, through the built binary).
// Each call answers or refuses with one line; nothing but the product's layout lands under the
// prefix; other keys and tags are untouched; the client, the shards and the tasks keep serving.
import fc from 'fast-check';
import { createCacheClient, type CacheClient } from '../../cache/cache-client';
import { userPreloadStatus } from '../../client/user-preload-status';
import { redisKeys } from '../../store/redis-keys';
import {
  oneLineProblem,
  prefixProblems,
  runsOnQueues,
  waitServed,
  workflowTaskFailures,
} from '../helpers/boundary-checks';
import {
  clip,
  describeValue,
  hostileKeyText,
  hostileText,
  hostileValue,
  reservedText,
  serverFuzzOptions,
  wrongType,
} from '../helpers/hostile-inputs';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { stackEnv, testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(150_000);

const stack = useTestStack();
const origin = useTestOrigin({ '/task': (_req, hit) => ({ body: `task value ${hit}` }) });
const ns = uniqueName('fz-client');
const taskId = uniqueName('fz-client-task');

beforeAll(async () => {
  origin.routeUnder('/users/', (request) => ({ body: JSON.stringify({ session: request.url }) }));
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey: `${ns}:task`,
        loader: { type: 'http', url: `${origin.url}/task` },
        ttlSeconds: 600,
        intervalMinutes: 600,
        tags: ['fz-client'],
      },
    ],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
        key: `${ns}:u:{userId}:s`,
        ttlSeconds: 600,
      },
      skipIfWarmedWithinMinutes: 0,
    },
  });
  await waitFor('the task warmed', async () => (await stack.warming.status(taskId)).warmCount >= 1);
});

type CacheCall =
  | { op: 'get' | 'recordAccess'; key: unknown }
  | { op: 'getOrCompute' | 'warm'; key: unknown; value: unknown; ttlSeconds: unknown; tags: unknown; force?: unknown }
  | { op: 'invalidateByTags'; tags: unknown };

/** Calls with hostile text everywhere (`wrongTypes`: and values of the wrong type, as a JavaScript caller can pass). */
function cacheCalls(prefix: string, wrongTypes: boolean): fc.Arbitrary<CacheCall[]> {
  const key = fc.oneof(
    { weight: 1, arbitrary: reservedText(prefix) },
    { weight: 4, arbitrary: hostileKeyText(prefix) },
    // Hash-tag shapes: Redis Cluster hashes only the first {...} of a key.
    { weight: 2, arbitrary: fc.constantFrom('a}b', '{}x', 'x{', '}{', '{a}b}', 'u:{42}:x', '{', '}', '{{a}}') },
    { weight: 1, arbitrary: hostileText(prefix) },
    { weight: wrongTypes ? 6 : 0, arbitrary: wrongType(prefix) },
  );
  const tag = fc.oneof(hostileKeyText(prefix), fc.constantFrom('*', '?', '[a-z]*', '\\*', '{usage}', '..'));
  const tags = fc.oneof(
    { weight: 4, arbitrary: fc.array(tag, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(hostileText(prefix), { maxLength: 2 }) },
    { weight: wrongTypes ? 2 : 0, arbitrary: wrongType(prefix) },
  );
  const ttlSeconds = fc.oneof(
    { weight: 2, arbitrary: fc.constant(60) },
    { weight: 1, arbitrary: wrongTypes ? hostileValue(prefix) : hostileText(prefix) },
  );
  const call: fc.Arbitrary<CacheCall> = fc.oneof(
    fc.record({ op: fc.constantFrom('get' as const, 'recordAccess' as const), key }),
    fc.record({
      op: fc.constantFrom('getOrCompute' as const, 'warm' as const),
      key,
      value: fc.oneof({ weight: 3, arbitrary: hostileText(prefix) }, { weight: 1, arbitrary: hostileValue(prefix) }),
      ttlSeconds,
      tags,
      force: wrongTypes ? fc.oneof(fc.constant(undefined), fc.boolean(), hostileValue(prefix)) : fc.boolean(),
    }),
    fc.record({ op: fc.constant('invalidateByTags' as const), tags }),
  );
  return fc.array(call, { minLength: 1, maxLength: 25 });
}

/** `promise`, or a rejection once it has not settled for `ms`: a call that hangs is a fault too. */
async function settleWithin<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function call(client: CacheClient, c: CacheCall): Promise<unknown> {
  switch (c.op) {
    case 'get':
      return client.get(c.key as string);
    case 'recordAccess':
      return client.recordAccess(c.key as string);
    case 'invalidateByTags':
      return client.invalidateByTags(c.tags as string[]);
    case 'getOrCompute':
      return client.getOrCompute(c.key as string, () => c.value as string, {
        ttlSeconds: c.ttlSeconds as number,
        tags: c.tags as string[],
      });
    case 'warm':
      return client.warm(c.key as string, () => c.value as string, {
        ttlSeconds: c.ttlSeconds as number,
        tags: c.tags as string[],
        force: c.force as boolean,
      });
  }
}

test.each([
  ['hostile keys, tags and values', false],
  ['arguments of the wrong type', true],
])(
  'the cache client answers or refuses %s with one line, stores nothing under the prefix, leaves other tags alone and keeps serving',
  async (_what, wrongTypes) => {
    const keys = redisKeys(stack.prefix);
    const { redisUrl } = testServers();
    await fc.assert(
      fc.asyncProperty(cacheCalls(stack.prefix, wrongTypes), async (calls) => {
        const client = createCacheClient({ redisUrl, prefix: stack.prefix, flushIntervalMs: 100 });
        const problems: string[] = [];
        const goodKey = `${ns}:good:${uniqueName('k')}`;
        const goodTag = uniqueName('fz-good');
        try {
          await client.getOrCompute(goodKey, () => 'good value', { ttlSeconds: 600, tags: [goodTag] });
          for (const [i, c] of calls.entries()) {
            try {
              await settleWithin(5_000, Promise.resolve(call(client, c)));
            } catch (err) {
              const message = err instanceof Error ? err.message : String(err);
              const problem = oneLineProblem(message) ?? (/did not settle/.test(message) ? message : undefined);
              if (problem) problems.push(`#${i} ${describeValue(c)}: ${problem}`);
            }
          }
          await settleWithin(5_000, client.flush()).catch((err: Error) => problems.push(`flush: ${err.message}`));
          // Other keys and tags untouched, and the client still serves.
          if ((await stack.redis.get(goodKey)) !== 'good value')
            problems.push(`${goodKey} (tag ${goodTag}) was deleted or changed by the batch`);
          const fresh = `${ns}:after:${uniqueName('k')}`;
          const value = await settleWithin(
            5_000,
            client.getOrCompute(fresh, () => 'after', { ttlSeconds: 60 }),
          ).catch((err: Error) => `failed: ${err.message}`);
          if (value !== 'after') problems.push(`a good getOrCompute after the batch ${value}`);
          const sentKeys = calls.flatMap((c) => ('key' in c ? [c.key] : []));
          problems.push(...(await prefixProblems(stack.redis, keys, sentKeys)));
          if (problems.length > 0) throw new Error([...new Set(problems)].join('\n'));
        } finally {
          await client.close();
        }
      }),
      serverFuzzOptions(10, 20_000, [
        [
          wrongTypes
            ? [
                { op: 'recordAccess', key: { not: 'a string' } },
                { op: 'get', key: 42 },
                // An object with no prototype: it cannot even be turned into a string.
                { op: 'recordAccess', key: Object.create(null) as unknown },
              ]
            : [
                { op: 'getOrCompute', key: 'a}b', value: 'v', ttlSeconds: 60, tags: ['t'] },
                { op: 'warm', key: '{}x', value: 'v', ttlSeconds: 60, tags: ['t'], force: true },
                { op: 'getOrCompute', key: `${stack.prefix}config`, value: 'v', ttlSeconds: 60, tags: [] },
                { op: 'invalidateByTags', tags: ['*'] },
              ],
        ],
      ]),
    );
  },
);

/** Hostile text a command line can carry (an argument cannot hold NUL). */
function argText(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(hostileText(prefix), hostileKeyText(prefix)).map((text) => text.replace(/\u0000/g, '') || '-');
}

function warmctlArgv(prefix: string): fc.Arbitrary<string[]> {
  return fc.oneof(
    fc.tuple(fc.constantFrom('status', 'warm', 'remove', 'pause', 'resume', 'login'), argText(prefix)),
    fc.tuple(fc.constantFrom('invalidate', 'warm', 'pause', 'stats'), fc.constant('--tag'), argText(prefix)),
    fc.tuple(fc.constant('stats'), fc.constant('--task'), argText(prefix)),
    fc.tuple(fc.constant('status'), argText(prefix), fc.constant('--json')),
  );
}

test('warmctl answers hostile task ids, tags and user ids with exit 0, or 1 or 2 and one line, and every login it accepts is preloaded', async () => {
  const keys = redisKeys(stack.prefix);
  await fc.assert(
    fc.asyncProperty(warmctlArgv(stack.prefix), async (argv) => {
      const since = new Date();
      const result = await runWarmctlBinary(argv, stackEnv(stack));
      const problems: string[] = [];
      const shown = describeValue(argv);
      if (![0, 1, 2].includes(result.code)) problems.push(`${shown} exited ${result.code}`);
      if (result.code !== 0) {
        const problem = oneLineProblem(result.stderr.trimEnd());
        if (problem) problems.push(`${shown}: stderr ${problem}`);
        if (!result.stderr.startsWith('warmctl: ')) problems.push(`${shown}: stderr is ${clip(result.stderr, 200)}`);
      }
      if (argv.includes('--json') && result.code === 0) {
        try {
          JSON.parse(result.stdout);
        } catch {
          problems.push(`${shown} --json printed ${clip(result.stdout, 200)}`);
        }
      }
      if (argv[0] === 'login' && result.code === 0) {
        const userId = argv[1] as string;
        await waitServed(
          `the preload of ${describeValue(userId, 60)}`,
          async () => {
            const user = await userPreloadStatus(stack.temporal, userId, { taskQueue: stack.taskQueue });
            if (user?.state === 'idle' && user.lastResult && !user.lastResult.ok)
              throw new Error(`its preload failed: ${clip(user.lastError ?? '')}`);
            return user?.state === 'idle' && user.lastCompleteAt !== null;
          },
          stack.temporal,
          () => runsOnQueues(stack.temporal, [stack.taskQueue], since),
        ).catch((err: Error) => problems.push(`${shown} was accepted but not preloaded: ${err.message}`));
      }
      const runs = await runsOnQueues(stack.temporal, [stack.taskQueue, `${stack.taskQueue}-critical`], since);
      for (const f of await workflowTaskFailures(stack.temporal, runs))
        problems.push(
          `${shown}: a workflow task of ${describeValue(f.workflowId, 80)} failed: ${f.cause}: ${clip(f.message)}`,
        );
      problems.push(...(await prefixProblems(stack.redis, keys)));
      // The task still serves.
      const status = await stack.warming.status(taskId).catch((err: Error) => err.message);
      if (typeof status === 'string' || status.state === 'removed')
        problems.push(`${shown}: the task no longer answers (${describeValue(status)})`);
      if (problems.length > 0) throw new Error(problems.join('\n'));
    }),
    serverFuzzOptions(8, 20_000, [[['login', 'a'.repeat(250)]], [['login', '界'.repeat(200)]]]),
  );
});

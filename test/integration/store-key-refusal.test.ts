// Defence in depth below the workflows, against a real redis-server: whatever key an activity is
// given, no cached value is written under the reserved prefix, the store refuses such a write by
// itself, and a key that breaks the key rules fails the activity for good before anything loads.
import { ApplicationFailure } from '@temporalio/common';
import { Redis } from 'ioredis';
import type { WarmKeyInput } from '../../activities/create-activities';
import type { WarmBatchResult } from '../../activities/optimizer-activities';
import { OriginLimiter } from '../../activities/origin-limiter';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { ReservedKeyError } from '../../store/reserved-key-error';
import { userPreloadSchema } from '../../core/config-schema';
import { activityEnv, testActivities } from '../helpers/test-activities';
import { testServers, uniqueName } from '../helpers/test-env';

let redis: Redis;
const limiter = new OriginLimiter({ originConcurrency: 8, originRatePerSecond: 0 });
let loads: string[] = [];

beforeAll(() => {
  redis = new Redis(testServers().redisUrl);
});

afterAll(async () => {
  redis.disconnect();
  await limiter.stop();
});

beforeEach(() => {
  loads = [];
});

/** The activities of a worker whose prefix is `prefix`, on the real Redis, with a loader that counts its loads. */
function activitiesFor(prefix: string) {
  return testActivities(
    redis,
    prefix,
    {
      origin: async (_args, context) => {
        loads.push(JSON.stringify(context.vars));
        return 'from the origin';
      },
    },
    limiter,
  );
}

const ORIGIN = { type: 'custom', name: 'origin' } as const;

const env = activityEnv;

function warmInput(cacheKey: string): WarmKeyInput {
  return { cacheKey, loader: ORIGIN, ttlSeconds: 60, tags: [], source: 'task:evil' };
}

/** Expects a non-retryable BadInput failure whose message matches. */
async function expectPermanent(run: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: true, type: 'BadInput' });
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message.split('\n')).toHaveLength(1);
}

describe('the store', () => {
  test('refuses a value write under its prefix, naming the key and the rule, and writes nothing of the call', async () => {
    const prefix = `${uniqueName('st')}:`;
    const store = new RedisCacheStore(redis, redisKeys(prefix));
    const good = uniqueName('good');
    const entry = (key: string) => ({
      key,
      value: 'v',
      ttlSeconds: 60,
      version: Date.now(),
      durationMs: 1,
      source: 'test',
      tags: ['t'],
    });
    const refused = await store.writeManyIfNewer([entry(good), entry(`${prefix}config`)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReservedKeyError);
    expect((refused as Error).message).toBe(
      `key "${prefix}config" is under the reserved prefix "${prefix}": cached values are never written there`,
    );
    await expect(store.writeIfNewer(entry(`${prefix}evil`))).rejects.toThrow(ReservedKeyError);
    expect(await redis.exists(good, `${prefix}config`, `${prefix}evil`, redisKeys(prefix).tag('t'))).toBe(0);
  });
});

describe('warmKey', () => {
  test.each([
    ['cw:', 'cw:config'],
    [`${uniqueName('dep')}:`, 'evil'],
  ])('with prefix %s, asked to write under it, fails for good, loading and writing nothing', async (prefix, name) => {
    const key = name.startsWith(prefix) ? name : `${prefix}${name}`;
    const before = await redis.get(key);
    await expectPermanent(
      env().run(activitiesFor(prefix).warmKey, warmInput(key)),
      /is under the reserved prefix .*: cached values are never written there/,
    );
    expect(loads).toEqual([]);
    expect(await redis.get(key)).toBe(before);
  });

  test.each([
    ['an empty key', '', /key must not be empty/],
    ['whitespace', 'a b', /must not contain whitespace/],
    ['a newline', 'a\nb', /must not contain whitespace/],
    ['a control character', 'a\u0007b', /must not contain control characters/],
    ['a lone surrogate', 'a\ud800b', /lone surrogate/],
    ['1025 characters', 'k'.repeat(1025), /1025 characters long, over the limit of 1024/],
    ['a key that is not a string', 42 as unknown as string, /key must be a string \(got number\)/],
  ])('refuses %s for good before loading', async (_what, key, message) => {
    await expectPermanent(env().run(activitiesFor(`${uniqueName('k')}:`).warmKey, warmInput(key)), message);
    expect(loads).toEqual([]);
  });

  test('writes a key of exactly 1024 characters', async () => {
    const key = `${uniqueName('long')}:`.padEnd(1024, 'x');
    const result = await env().run(activitiesFor(`${uniqueName('k')}:`).warmKey, warmInput(key));
    expect(result).toMatchObject({ written: true });
    expect(await redis.get(key)).toBe('from the origin');
  });
});

describe('warmBatch', () => {
  test('a template under the prefix fails the batch for good, loading and writing nothing', async () => {
    const prefix = `${uniqueName('b')}:`;
    await expectPermanent(
      env().run(activitiesFor(prefix).warmBatch, {
        template: {
          key: `${prefix}{id}`,
          loader: ORIGIN,
          ttlSeconds: 60,
          tags: [],
          source: 'pattern:x',
        },
        vars: [{ id: 'evil' }, { id: 'config' }],
      }),
      /is under the reserved prefix/,
    );
    expect(loads).toEqual([]);
    expect(await redis.exists(`${prefix}evil`, `${prefix}config`)).toBe(0);
  });

  test('a key that its values put under the prefix, or break the rules, fails alone; the others are written', async () => {
    const prefix = `${uniqueName('b')}:`;
    const good = uniqueName('good');
    const result: WarmBatchResult = await env().run(activitiesFor(prefix).warmBatch, {
      template: {
        key: '{id}',
        loader: ORIGIN,
        ttlSeconds: 60,
        tags: [],
        source: 'pattern:x',
      },
      vars: [{ id: `${prefix}config` }, { id: 'has space' }, { id: good }],
    });
    expect(result).toMatchObject({ total: 3, written: 1, failed: 2 });
    expect(result.failures).toEqual([
      { key: `${prefix}config`, error: expect.stringMatching(/is under the reserved prefix/) },
      { key: 'has space', error: expect.stringMatching(/must not contain whitespace/) },
    ]);
    expect(loads).toEqual([JSON.stringify({ id: good })]);
    expect(await redis.exists(`${prefix}config`)).toBe(0);
    expect(await redis.get(good)).toBe('from the origin');
  });
});

describe('preloadUser', () => {
  test("settings whose key template is under the worker's prefix are refused whole, naming the field, even when the input names another prefix", async () => {
    const prefix = `${uniqueName('p')}:`;
    const settings = userPreloadSchema.parse({
      session: { loader: ORIGIN, key: `${prefix}evil:{userId}`, ttlSeconds: 60 },
      navigation: { loader: ORIGIN, key: `${prefix}config`, ttlSeconds: 60 },
    });
    const refused = await env()
      .run(activitiesFor(prefix).preloadUser, {
        userId: 'alice',
        settings,
        reservedPrefix: 'somewhere-else:',
        preloadForms: false,
        formsConcurrency: 1,
        retry: { maximumAttempts: 3, initialIntervalMs: 1, backoffCoefficient: 2, maximumIntervalMs: 2 },
      })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'BadInput', nonRetryable: true });
    expect((refused as ApplicationFailure).message).toMatch(/^settings\.session\.key: .*reserved prefix/);
    expect(loads).toEqual([]);
    expect(await redis.exists(`${prefix}evil:alice`, `${prefix}config`)).toBe(0);
  });
});

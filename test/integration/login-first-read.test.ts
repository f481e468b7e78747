// A login's first read against the real servers: the auth service that waits for the preload
// (`waitForPreload`), reads and background loads sharing one single-flight (a read that misses
// while the preload loads the key waits for it; a preload that finds a read filling the key joins
// it), and preload loads shed at their deadline instead of queued past their use.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/create-activities';
import { FRESH_MS } from '../../activities/user-preload-activities';
import { createCacheClient, type CacheClient } from '../../cache/cache-client';
import { loginShardOf, notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { summarizePreloads } from '../../core/preload-stats';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { RedisUsageTracker } from '../../store/usage-tracker';
import {
  userLoginsStatusQuery,
  userLoginsWorkflowId,
  waitForUserPreloadUpdate,
  type PreloadUserResult,
} from '../../workflows';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

// One slot per origin, so a preload's forms queue behind each other and can be shed.
const stack = useTestStack({ limits: { originConcurrency: 1 } });
const origin = useTestOrigin();
const ns = uniqueName('fr');
const SHARDS = 2;

/** Per-test origin delays, in ms, by source. */
const delays = { session: 0, navigation: 0, forms: 0, form: 0 };

async function applyPreload(shedAfterSeconds?: number): Promise<void> {
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
        key: `${ns}:user:{userId}:session`,
        ttlSeconds: 600,
      },
      navigation: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/navigation` },
        key: `${ns}:user:{userId}:navigation`,
        ttlSeconds: 600,
      },
      forms: {
        list: { type: 'http', url: `${origin.url}/users/{userId}/forms` },
        item: { type: 'http', url: `${origin.url}/forms/{formId}` },
        key: `${ns}:form:{formId}`,
        max: 3,
        ttlSeconds: 600,
      },
      ...(shedAfterSeconds !== undefined ? { shedAfterSeconds } : {}),
    },
  });
}

interface User {
  userId: string;
  sessionKey: string;
  sessionPath: string;
  formKeys: string[];
}

function newUser(): User {
  const userId = uniqueName('user');
  const sessionPath = `/users/${userId}/session`;
  origin.route(sessionPath, (_req, hit) => ({ body: `session-of-${userId}-${hit}`, delayMs: delays.session }));
  origin.route(`/users/${userId}/navigation`, () => ({ body: `nav-of-${userId}`, delayMs: delays.navigation }));
  const formIds = [0, 1, 2].map((i) => `${userId}-f${i}`);
  origin.route(`/users/${userId}/forms`, () => ({ body: JSON.stringify(formIds), delayMs: delays.forms }));
  for (const formId of formIds) origin.route(`/forms/${formId}`, () => ({ body: formId, delayMs: delays.form }));
  return {
    userId,
    sessionKey: `${ns}:user:${userId}:session`,
    sessionPath,
    formKeys: formIds.map((id) => `${ns}:form:${id}`),
  };
}

const login = (userId: string, waitForPreload?: boolean | { timeoutMs: number }) =>
  notifyUserLoggedIn(stack.temporal, userId, {
    taskQueue: stack.taskQueue,
    shards: SHARDS,
    ...(waitForPreload !== undefined ? { waitForPreload } : {}),
  });

const shardId = (userId: string) => userLoginsWorkflowId(stack.taskQueue, loginShardOf(userId, SHARDS));

let reader: CacheClient;
beforeAll(async () => {
  await applyPreload();
  reader = stack.adopt(createCacheClient({ redis: stack.redis, prefix: stack.prefix, flushIntervalMs: 3_600_000 }));
});
beforeEach(() => Object.assign(delays, { session: 0, navigation: 0, forms: 0, form: 0 }));

describe('an auth service that waits for the preload', () => {
  test('returns once the preload is in Redis: the first read hits', async () => {
    const user = newUser();
    const notice = await login(user.userId, { timeoutMs: 10_000 });
    expect(notice).toMatchObject({ outcome: 'preloaded' });
    expect(notice.preloadWorkflowId).toMatch(/^preload-user:/);
    // Read at once, as the application's next request would: everything is there.
    expect(await stack.redis.get(user.sessionKey)).toBe(`session-of-${user.userId}-1`);
    expect(await stack.redis.mget(...user.formKeys)).toEqual(user.formKeys.map((k) => k.split(':').pop()));
  });

  test('a login within the skip window returns at once, as skipped', async () => {
    const user = newUser();
    expect((await login(user.userId, { timeoutMs: 10_000 })).outcome).toBe('preloaded');
    expect(await login(user.userId, true)).toMatchObject({ outcome: 'skipped' });
    expect(origin.hitsFor(user.sessionPath)).toBe(1);
  });

  test('a preload slower than the deadline: the login returns at the deadline and the preload still lands', async () => {
    const user = newUser();
    delays.session = 3_000;
    const started = Date.now();
    const notice = await login(user.userId, { timeoutMs: 300 });
    const tookMs = Date.now() - started;
    expect(notice.outcome).toBe('timedOut');
    // Far less than the 3 s the preload takes: the wait gave up at its deadline.
    expect(tookMs).toBeLessThan(2_500);
    expect(notice.waitedMs).toBeGreaterThanOrEqual(200);
    await waitFor(
      'the preload after the timed-out wait',
      async () => (await stack.redis.get(user.sessionKey)) ?? undefined,
    );
  });

  test('a bad wait option is refused naming it, before anything is sent', async () => {
    const user = newUser();
    await expect(login(user.userId, { timeoutMs: 0 })).rejects.toThrow(/waitForPreload must be/);
    await expect(login(user.userId, { timeoutMs: 1.5 })).rejects.toThrow(/waitForPreload must be/);
    expect(origin.hitsFor(user.sessionPath)).toBe(0);
  });

  test('a wait for a user the shard holds no login of is answered unknown, never an error', async () => {
    const user = newUser();
    await login(user.userId, { timeoutMs: 10_000 }); // starts the shard
    const handle = stack.temporal.workflow.getHandle(shardId(user.userId));
    const other = newUser();
    expect(await handle.executeUpdate(waitForUserPreloadUpdate, { args: [{ userId: other.userId }] })).toEqual({
      userId: other.userId,
      outcome: 'unknown',
    });
    // Refused by the validator, so never in history: the reason names the field.
    await expect(handle.executeUpdate(waitForUserPreloadUpdate, { args: [{ userId: '' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^waitForUserPreload: userId/) },
    });
  });
});

describe('reads and background loads share one single-flight', () => {
  test('a read that misses while the preload loads the key waits for it instead of calling the origin', async () => {
    const user = newUser();
    delays.session = 800;
    await login(user.userId);
    // The preload holds the key's claim while the origin thinks.
    await waitFor('the preload to claim the session key', async () =>
      (await stack.redis.exists(redisKeys(stack.prefix).lock(user.sessionKey))) === 1 ? true : undefined,
    );
    let computed = 0;
    const value = await reader.getOrCompute(
      user.sessionKey,
      () => {
        computed++;
        return 'computed-by-the-reader';
      },
      { ttlSeconds: 60 },
    );
    expect(value).toBe(`session-of-${user.userId}-1`);
    expect(computed).toBe(0);
    expect(origin.hitsFor(user.sessionPath)).toBe(1);
  });

  test('a preload that finds a read filling the key joins it: the origin is called once in all', async () => {
    const user = newUser();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The application's read misses first and computes the session from the same origin.
    const read = reader.getOrCompute(
      user.sessionKey,
      async () => {
        await gate;
        return (await fetch(`${origin.url}${user.sessionPath}`)).text();
      },
      { ttlSeconds: 60 },
    );
    await waitFor('the read to claim the session key', async () =>
      (await stack.redis.exists(redisKeys(stack.prefix).lock(user.sessionKey))) === 1 ? true : undefined,
    );
    const waiting = login(user.userId, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect(await read).toBe(`session-of-${user.userId}-1`);
    expect(await waiting).toMatchObject({ outcome: 'preloaded' });
    expect(origin.hitsFor(user.sessionPath)).toBe(1);
    const child = stack.temporal.workflow.getHandle<() => Promise<PreloadUserResult>>(
      (await waiting).preloadWorkflowId as string,
    );
    const session = (await child.result()).sources.find((s) => s.source === 'session');
    expect(session?.keys[0]).toMatchObject({ ok: true, joined: true, written: false });
  });

  test('a preload right after a read computed the key does not load it again; an older compute, or its own value, is reloaded', async () => {
    const user = newUser();
    const fromOrigin = async () => (await fetch(`${origin.url}${user.sessionPath}`)).text();
    const forced = () =>
      notifyUserLoggedIn(stack.temporal, user.userId, {
        taskQueue: stack.taskQueue,
        shards: SHARDS,
        force: true,
        waitForPreload: { timeoutMs: 20_000 },
      });
    expect(await reader.getOrCompute(user.sessionKey, fromOrigin, { ttlSeconds: 60 })).toBe(
      `session-of-${user.userId}-1`,
    );
    const first = await login(user.userId, { timeoutMs: 20_000 });
    expect(first.outcome).toBe('preloaded');
    expect(origin.hitsFor(user.sessionPath)).toBe(1);
    const result = await stack.temporal.workflow
      .getHandle<() => Promise<PreloadUserResult>>(first.preloadWorkflowId as string)
      .result();
    expect(result.sources.find((s) => s.source === 'session')?.keys[0]).toMatchObject({ joined: true });
    // The reader's compute, aged past FRESH_MS (its version is its load's start on Redis's clock).
    const [seconds] = await stack.redis.time();
    const meta = redisKeys(stack.prefix).meta(user.sessionKey);
    await stack.redis.hset(meta, 'version', String(Number(seconds) * 1000 - FRESH_MS - 1_000));
    expect((await forced()).outcome).toBe('preloaded');
    expect(origin.hitsFor(user.sessionPath)).toBe(2);
    expect(await stack.redis.get(user.sessionKey)).toBe(`session-of-${user.userId}-2`);
    // Its own value of a moment ago: a forced login asks for exactly this reload.
    expect((await forced()).outcome).toBe('preloaded');
    expect(origin.hitsFor(user.sessionPath)).toBe(3);
    expect(await stack.redis.get(user.sessionKey)).toBe(`session-of-${user.userId}-3`);
  });

  test('a task warm that finds a read filling its key joins it and loads nothing', async () => {
    const key = `${ns}:task-key:${uniqueName('k')}`;
    const path = `/task/${uniqueName('p')}`;
    origin.route(path, () => ({ body: 'from-the-warm' }));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = reader.getOrCompute(
      key,
      async () => {
        await gate;
        return 'from-the-reader';
      },
      { ttlSeconds: 60 },
    );
    await waitFor('the read to claim the key', async () =>
      (await stack.redis.exists(redisKeys(stack.prefix).lock(key))) === 1 ? true : undefined,
    );
    const keys = redisKeys(stack.prefix);
    const activities = createActivities({
      store: new RedisCacheStore(stack.redis, keys),
      optimizer: { redis: stack.redis, keys, usage: new RedisUsageTracker(stack.redis, keys) },
    });
    const warm = new MockActivityEnvironment().run(activities.warmKey, {
      cacheKey: key,
      loader: { type: 'http' as const, url: `${origin.url}${path}` },
      ttlSeconds: 60,
      tags: [],
      source: 'task:joins',
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    expect(await read).toBe('from-the-reader');
    expect(await warm).toMatchObject({ joined: true, written: false });
    expect(origin.hitsFor(path)).toBe(0);
    expect(await stack.redis.get(key)).toBe('from-the-reader');
  });
});

describe('preload loads are shed at their deadline', () => {
  afterAll(() => applyPreload());

  test('forms still waiting for their origin past shedAfterSeconds are shed, counted in the shard, its result and stats', async () => {
    await applyPreload(0.5);
    const user = newUser();
    // One slot per origin: each form waits for the one before it, 400 ms each.
    delays.form = 400;
    const notice = await login(user.userId, { timeoutMs: 20_000 });
    expect(notice.outcome).toBe('failed');
    const child = stack.temporal.workflow.getHandle<() => Promise<PreloadUserResult>>(
      notice.preloadWorkflowId as string,
    );
    const result = await child.result();
    const forms = result.sources.find((s) => s.source === 'forms');
    const shed = forms?.keys.filter((k) => k.shed) ?? [];
    expect(shed.length).toBeGreaterThanOrEqual(1);
    expect(shed[0]?.error).toMatch(/^LoadShed: shed: waited/);
    // The session and navigation made it: shedding drops only what waited too long.
    expect(await stack.redis.get(user.sessionKey)).toBe(`session-of-${user.userId}-1`);
    // A shed load never reached the origin.
    const loadedForms = forms?.keys.filter((k) => k.ok).length ?? 0;
    expect(loadedForms).toBe(3 - shed.length);
    const status = await stack.temporal.workflow.getHandle(shardId(user.userId)).query(userLoginsStatusQuery);
    expect(status.shed).toBeGreaterThanOrEqual(1);
    const stats = summarizePreloads([
      {
        workflowId: result.userId,
        userId: result.userId,
        status: 'completed',
        startedAtMs: 0,
        closedAtMs: 1,
        latencyMs: 1,
        failedSources: result.failed,
        shedLoads: shed.length,
      },
    ]);
    expect(stats.preloadFailures.shed).toBe(1);
    const fromHistory = await stack.warming.stats();
    expect(fromHistory.preloadFailures.shed).toBeGreaterThanOrEqual(1);
  });
});

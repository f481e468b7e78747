// User preload on login against the real servers: the auth service's signal-with-start to a login
// shard (and to the per-user session workflow of release 0.1, which keeps working), their dedupe,
// and the preload child's sources, keys and TTLs. Behaviour both receivers share runs against both.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { spawnSync } from 'node:child_process';
import { loginShardOf, notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import type { WarmingConfigInput } from '../../core/config-schema';
import { temporalCliPath } from '../../scripts/local-stack';
import {
  userLoggedInSignal,
  userLoginsStatusQuery,
  userLoginsWorkflow,
  userLoginsWorkflowId,
  userPreloadStatusQuery,
  userSessionStatusQuery,
  userSessionWorkflow,
  userSessionWorkflowId,
  preloadsOfUserQuery,
  type PreloadSummary,
  type PreloadUserResult,
  type UserLoggedIn,
} from '../../workflows';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack({
  loaders: {
    // A custom source: the value is built in the worker, from the template vars.
    async userNavigation(args, context) {
      return { userId: context.vars.userId, pages: args.pages };
    },
  },
});
const origin = useTestOrigin();
/** Keys of this file live under their own namespace, outside the stack's reserved prefix. */
const ns = uniqueName('up');
const SHARDS = 4;

type PreloadSettings = NonNullable<WarmingConfigInput['userPreload']>;

/** Applies a config whose user preload reads this file's origin; `overrides` replace top-level fields. */
async function applyPreload(overrides: Partial<PreloadSettings> = {}): Promise<void> {
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
        key: `${ns}:user:{userId}:session`,
        ttlSeconds: 1800,
      },
      navigation: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/navigation` },
        key: `${ns}:user:{userId}:navigation`,
        ttlSeconds: 900,
      },
      forms: {
        list: { type: 'http', url: `${origin.url}/users/{userId}/forms` },
        item: { type: 'http', url: `${origin.url}/forms/{formId}` },
        key: `${ns}:form:{formId}`,
        ttlSeconds: 600,
      },
      ...overrides,
    },
  });
}

interface TestUser {
  userId: string;
  /** Private text inside every value this user's origin returns. */
  marker: string;
  sessionKey: string;
  navigationKey: string;
  /** Seven forms, listed out of date order. */
  formIds: string[];
  /** The five most recent, newest first. */
  recentFormIds: string[];
  formKey(formId: string): string;
  sessionPath: string;
  formsPath: string;
}

/** A new user with origin routes for session, navigation, a forms list of 7 and each form. */
function newUser(): TestUser {
  const userId = uniqueName('user');
  const marker = `PRIVATE-${uniqueName('m')}`;
  const sessionPath = `/users/${userId}/session`;
  const formsPath = `/users/${userId}/forms`;
  origin.route(sessionPath, (_req, hit) => ({ body: JSON.stringify({ token: `${marker}-session`, hit }) }));
  origin.route(`/users/${userId}/navigation`, (_req, hit) => ({
    body: JSON.stringify({ visited: [`${marker}-nav`], hit }),
  }));
  const formIds = Array.from({ length: 7 }, (_, i) => `${userId}-f${i}`);
  // List order differs from date order: f<i> was updated on day 10+i.
  const listed = [3, 6, 0, 5, 1, 4, 2].map((i) => ({
    id: formIds[i] as string,
    title: `${marker}-title`,
    updatedAt: `2024-01-${10 + i}T00:00:00Z`,
  }));
  origin.route(formsPath, () => ({ body: JSON.stringify(listed) }));
  for (const formId of formIds) {
    origin.route(`/forms/${formId}`, () => ({ body: JSON.stringify({ formId, answers: `${marker}-form` }) }));
  }
  return {
    userId,
    marker,
    sessionKey: `${ns}:user:${userId}:session`,
    navigationKey: `${ns}:user:${userId}:navigation`,
    formIds,
    recentFormIds: [6, 5, 4, 3, 2].map((i) => formIds[i] as string),
    formKey: (formId) => `${ns}:form:${formId}`,
    sessionPath,
    formsPath,
  };
}

/** What both receivers report of one user. */
interface UserView {
  state: string;
  logins: number;
  preloads: number;
  failedPreloads: number;
  skipped: number;
  coalesced: number;
  lastResult: PreloadSummary | null;
  lastError: string | null;
}

/** A way a login reaches a preload: the login shard (from release 0.2) or the per-user session (0.1). */
interface Receiver {
  name: string;
  login(userId: string, options?: { force?: boolean; preloadForms?: boolean }): Promise<unknown>;
  status(userId: string): Promise<UserView | null>;
  /** Workflow ids whose histories hold this user's logins. */
  receiverId(userId: string): string;
}

const shard: Receiver = {
  name: 'login shard',
  login: (userId, options = {}) =>
    notifyUserLoggedIn(stack.temporal, userId, { ...options, taskQueue: stack.taskQueue, shards: SHARDS }),
  status: (userId) => userPreloadStatus(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: SHARDS }),
  receiverId: (userId) => userLoginsWorkflowId(stack.taskQueue, loginShardOf(userId, SHARDS)),
};

const session: Receiver = {
  name: 'per-user session (release 0.1 call)',
  login: (userId, options = {}) => sessionLogin(stack.temporal, userId, options),
  status: async (userId) => {
    try {
      return await sessionHandle(userId).query(userSessionStatusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  },
  receiverId: (userId) => userSessionWorkflowId(userId),
};

/** The documented release 0.1 call: signal-with-start of the user's own session workflow. */
function sessionLogin(client: Client, userId: string, options: { force?: boolean; preloadForms?: boolean } = {}) {
  return client.workflow.signalWithStart(userSessionWorkflow, {
    workflowId: userSessionWorkflowId(userId),
    taskQueue: stack.taskQueue,
    args: [{ userId }],
    signal: userLoggedInSignal,
    signalArgs: [{ userId, ...options }],
  });
}

function sessionHandle(userId: string) {
  return stack.temporal.workflow.getHandle<typeof userSessionWorkflow>(userSessionWorkflowId(userId));
}

async function statusWhen(receiver: Receiver, userId: string, ok: (s: UserView) => boolean, what: string) {
  return waitFor(what, async () => {
    const status = await receiver.status(userId);
    return status && ok(status) ? status : undefined;
  });
}

/** Waits until `count` preloads have finished and nothing is running or waiting. */
function preloaded(receiver: Receiver, userId: string, count: number) {
  return statusWhen(
    receiver,
    userId,
    (s) => s.preloads === count && s.state === 'idle' && s.lastResult !== null,
    `${count} finished preload(s) of ${userId}`,
  );
}

async function ttlOf(key: string): Promise<number> {
  return stack.redis.ttl(key);
}

describe.each([shard, session])('through the $name', (receiver) => {
  const login = receiver.login;
  const preloadedBy = (userId: string, count: number) => preloaded(receiver, userId, count);
  const when = (userId: string, ok: (s: UserView) => boolean, what: string) => statusWhen(receiver, userId, ok, what);

  test('a login loads session, navigation and the 5 most recent forms at the configured keys with their TTLs', async () => {
    await applyPreload();
    const user = newUser();

    await login(user.userId);

    const status = await preloadedBy(user.userId, 1);
    expect(status.lastResult).toMatchObject({ ok: true, failed: [], keysWritten: 7 });
    expect(JSON.parse((await stack.redis.get(user.sessionKey)) ?? 'null')).toEqual({
      token: `${user.marker}-session`,
      hit: 1,
    });
    expect(await stack.redis.get(user.navigationKey)).toContain(`${user.marker}-nav`);
    expect(await ttlOf(user.sessionKey)).toBeGreaterThan(1790);
    expect(await ttlOf(user.sessionKey)).toBeLessThanOrEqual(1800);
    expect(await ttlOf(user.navigationKey)).toBeGreaterThan(890);
    expect(await ttlOf(user.navigationKey)).toBeLessThanOrEqual(900);
    for (const formId of user.recentFormIds) {
      expect(await stack.redis.get(user.formKey(formId))).toContain(formId);
      expect(await ttlOf(user.formKey(formId))).toBeGreaterThan(590);
      expect(await ttlOf(user.formKey(formId))).toBeLessThanOrEqual(600);
    }
    // The two oldest forms are neither loaded nor stored.
    for (const formId of user.formIds.slice(0, 2)) {
      expect(await stack.redis.exists(user.formKey(formId))).toBe(0);
      expect(origin.hitsFor(`/forms/${formId}`)).toBe(0);
    }
    const child = await stack.temporal.workflow
      .getHandle<() => Promise<PreloadUserResult>>(status.lastResult?.workflowId as string)
      .result();
    expect(child.sources.find((s) => s.source === 'forms')?.formIds).toEqual(user.recentFormIds);
    expect(await stack.redis.smembers(`${stack.prefix}tag:user:${user.userId}`)).toHaveLength(7);
  });

  test('a custom source is loaded by the named loader registered in the worker', async () => {
    await applyPreload({
      navigation: {
        loader: { type: 'custom', name: 'userNavigation', args: { pages: ['home', 'billing'] } },
        key: `${ns}:user:{userId}:custom-navigation`,
        ttlSeconds: 300,
      },
    });
    const user = newUser();

    await login(user.userId);

    await preloadedBy(user.userId, 1);
    const key = `${ns}:user:${user.userId}:custom-navigation`;
    expect(JSON.parse((await stack.redis.get(key)) ?? 'null')).toEqual({
      userId: user.userId,
      pages: ['home', 'billing'],
    });
    expect(await ttlOf(key)).toBeGreaterThan(290);
    expect(origin.hitsFor(`/users/${user.userId}/navigation`)).toBe(0);
  });

  test('a login within skipIfWarmedWithinMinutes of the last preload is skipped', async () => {
    await applyPreload({ skipIfWarmedWithinMinutes: 5 });
    const user = newUser();
    await login(user.userId);
    await preloadedBy(user.userId, 1);

    await login(user.userId);

    const status = await when(user.userId, (s) => s.skipped === 1, 'the second login skipped');
    expect(status.preloads).toBe(1);
    expect(origin.hitsFor(user.sessionPath)).toBe(1);
    expect(origin.hitsFor(user.formsPath)).toBe(1);
  });

  test('force reloads a user preloaded moments ago', async () => {
    await applyPreload({ skipIfWarmedWithinMinutes: 5 });
    const user = newUser();
    await login(user.userId);
    await preloadedBy(user.userId, 1);

    await login(user.userId, { force: true });

    const status = await preloadedBy(user.userId, 2);
    expect(status.skipped).toBe(0);
    expect(origin.hitsFor(user.sessionPath)).toBe(2);
    expect(JSON.parse((await stack.redis.get(user.sessionKey)) ?? 'null')).toMatchObject({ hit: 2 });
  });

  test('preloadForms: false loads session and navigation but no forms', async () => {
    await applyPreload();
    const user = newUser();

    await login(user.userId, { preloadForms: false });

    const status = await preloadedBy(user.userId, 1);
    expect(status.lastResult).toMatchObject({ ok: true, keysWritten: 2 });
    expect(await stack.redis.exists(user.sessionKey, user.navigationKey)).toBe(2);
    expect(await stack.redis.exists(...user.formIds.map((id) => user.formKey(id)))).toBe(0);
    expect(origin.hitsFor(user.formsPath)).toBe(0);
  });

  test('30 concurrent logins of one user produce exactly one preload', async () => {
    await applyPreload({ skipIfWarmedWithinMinutes: 5 });
    const user = newUser();
    // A slow session keeps the preload running while the other logins arrive.
    origin.route(user.sessionPath, () => ({ body: JSON.stringify({ token: 'slow' }), delayMs: 500 }));

    await Promise.all(Array.from({ length: 30 }, () => login(user.userId)));

    const status = await when(
      user.userId,
      (s) => s.logins === 30 && s.state === 'idle' && s.lastResult !== null,
      'all 30 logins handled',
    );
    expect(status.preloads).toBe(1);
    expect(status.coalesced + status.skipped).toBe(29);
    expect(origin.hitsFor(user.sessionPath)).toBe(1);
    expect(origin.hitsFor(user.formsPath)).toBe(1);
    expect(origin.hitsFor(`/forms/${user.recentFormIds[0]}`)).toBe(1);
  });

  test('a failing source does not stop the others, and the result names which failed', async () => {
    await applyPreload();
    const user = newUser();
    origin.route(`/users/${user.userId}/navigation`, () => ({ status: 404, body: 'gone' }));
    const brokenForm = user.recentFormIds[1] as string;
    origin.route(`/forms/${brokenForm}`, () => ({ status: 410, body: 'gone' }));

    await login(user.userId);

    const status = await preloadedBy(user.userId, 1);
    expect(status.lastResult).toMatchObject({ ok: false, failed: ['navigation', 'forms'], keysWritten: 5 });
    expect(status.failedPreloads).toBe(1);
    const child = await stack.temporal.workflow
      .getHandle<() => Promise<PreloadUserResult>>(status.lastResult?.workflowId as string)
      .result();
    const bySource = Object.fromEntries(child.sources.map((s) => [s.source, s]));
    expect(bySource.session?.ok).toBe(true);
    expect(bySource.navigation?.error).toMatch(/OriginRejected: GET .* answered 404/);
    expect(bySource.forms?.error).toMatch(/^1 of 5 forms failed/);
    expect(bySource.forms?.keys.find((k) => !k.ok)?.formId).toBe(brokenForm);
    expect(await stack.redis.exists(user.sessionKey)).toBe(1);
    expect(await stack.redis.exists(user.navigationKey)).toBe(0);
    for (const formId of user.recentFormIds) {
      expect(await stack.redis.exists(user.formKey(formId))).toBe(formId === brokenForm ? 0 : 1);
    }
  });

  test('a whole login preloads in one local activity that retries a transient failure and reports a permanent one', async () => {
    await applyPreload();
    const user = newUser();
    const [, flaky, , gone] = user.recentFormIds as [string, string, string, string, string];
    // The flaky form's origin is down for its first request only; the gone form is never there.
    origin.route(`/forms/${flaky}`, (_req, hit) =>
      hit === 1 ? { status: 503, body: 'busy' } : { body: JSON.stringify({ formId: flaky, answers: 'ok' }) },
    );
    origin.route(`/forms/${gone}`, () => ({ status: 404, body: 'gone' }));

    await login(user.userId);

    const status = await preloadedBy(user.userId, 1);
    expect(status.lastResult).toMatchObject({ ok: false, failed: ['forms'], keysWritten: 6 });
    for (const formId of user.recentFormIds) {
      expect(await stack.redis.exists(user.formKey(formId))).toBe(formId === gone ? 0 : 1);
    }
    expect(await stack.redis.get(user.formKey(flaky))).toContain(flaky);
    expect(origin.hitsFor(`/forms/${flaky}`)).toBe(2);
    expect(origin.hitsFor(`/forms/${gone}`)).toBe(1);
    const childId = status.lastResult?.workflowId as string;
    const child = await stack.temporal.workflow.getHandle<() => Promise<PreloadUserResult>>(childId).result();
    const forms = child.sources.find((s) => s.source === 'forms');
    expect(forms?.error).toMatch(/^1 of 5 forms failed; first: OriginRejected: GET .* answered 404/);
    expect(forms?.keys.filter((k) => !k.ok).map((k) => k.formId)).toEqual([gone]);
    expect(forms?.keys.find((k) => k.formId === flaky)).toMatchObject({
      ok: true,
      written: true,
      cacheKey: user.formKey(flaky),
    });
    const { events } = await stack.temporal.workflow.getHandle(childId).fetchHistory();
    // One local activity: a marker in the child's first workflow task, no activity task.
    expect((events ?? []).filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    const markers = (events ?? []).flatMap((e) =>
      e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : [],
    );
    expect(markers.map((m) => m.markerName)).toEqual(['core_local_activity']);
    expect(JSON.stringify(markers[0]?.details)).toContain(
      Buffer.from('"activity_type":"preloadUser"').toString('base64').slice(0, 20),
    );
    expect(events).toHaveLength(6);
  });

  test('a login with no userPreload in the applied config fails the preload with a reason and loads nothing', async () => {
    await stack.warming.apply({ tasks: [] });
    const user = newUser();

    await login(user.userId);

    const status = await when(user.userId, (s) => s.failedPreloads === 1 && s.state === 'idle', 'the failed preload');
    expect(status.lastError).toMatch(/UserPreloadNotConfigured: the applied config has no userPreload section/);
    expect(origin.hitsFor(user.sessionPath)).toBe(0);
  });

  test('user data never enters workflow history', async () => {
    await applyPreload();
    const user = newUser();
    await login(user.userId);
    const status = await preloadedBy(user.userId, 1);
    expect(await stack.redis.get(user.sessionKey)).toContain(user.marker);

    const histories = await Promise.all(
      [receiver.receiverId(user.userId), status.lastResult?.workflowId as string].map((id) =>
        stack.temporal.workflow.getHandle(id).fetchHistory(),
      ),
    );
    // Every payload (inputs, results, signals, markers), decoded from base64.
    const text = [...JSON.stringify(histories).matchAll(/"data":"([^"]*)"/g)]
      .map((m) => Buffer.from(m[1] as string, 'base64').toString('utf8'))
      .join('\n');
    expect(text).toContain(user.sessionKey); // payloads are decoded: key names are there...
    expect(text).toContain(user.recentFormIds[0]); // ...and form ids...
    expect(text).not.toContain(user.marker); // ...but no value, and no form title from the list.
  });
});

test('malformed userLoggedIn signals to a shard are logged and dropped, and the shard keeps serving logins', async () => {
  await applyPreload();
  const user = newUser();
  const shardId = shard.receiverId(user.userId);
  await shard.login(user.userId);
  await preloaded(shard, user.userId, 1);
  const handle = stack.temporal.workflow.getHandle(shardId);
  const before = await handle.query(userLoginsStatusQuery);
  await handle.signal('userLoggedIn', 'not an object');
  await handle.signal('userLoggedIn', { userId: 42 });
  await handle.signal('userLoggedIn', { userId: user.userId, preloadForms: 'no' });
  await handle.signal('userLoggedIn', { userId: user.userId, force: 'yes' });

  const after = await waitFor('four rejected signals', async () => {
    const status = await handle.query(userLoginsStatusQuery);
    return status.rejected === before.rejected + 4 ? status : undefined;
  });
  expect(after).toMatchObject({ logins: before.logins, lastRejection: 'force must be a boolean (got string)' });

  await shard.login(user.userId, { force: true });
  const status = await preloaded(shard, user.userId, 2);
  expect(status.lastResult?.ok).toBe(true);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const { events } = await handle.fetchHistory();
  expect(events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
});

test('malformed userLoggedIn signals to a session are logged and dropped, and the workflow keeps serving logins', async () => {
  await applyPreload();
  const user = newUser();
  const handle = await stack.temporal.workflow.signalWithStart(userSessionWorkflow, {
    workflowId: userSessionWorkflowId(user.userId),
    taskQueue: stack.taskQueue,
    args: [{ userId: user.userId }],
    signal: userLoggedInSignal,
    signalArgs: [{ userId: 42 } as unknown as UserLoggedIn],
  });
  const raw = stack.temporal.workflow.getHandle(handle.workflowId);
  await raw.signal('userLoggedIn', 'not an object');
  await raw.signal('userLoggedIn', { userId: 'someone-else' });
  await raw.signal('userLoggedIn', { userId: user.userId, preloadForms: 'no' });
  await raw.signal('userLoggedIn', { userId: user.userId, force: 'yes' });

  const rejected = await waitFor('five rejected signals', async () => {
    const status = await handle.query(userSessionStatusQuery);
    return status.rejected === 5 ? status : undefined;
  });
  expect(rejected).toMatchObject({ logins: 0, preloads: 0, lastRejection: 'force must be a boolean (got string)' });

  await session.login(user.userId);

  const status = await preloaded(session, user.userId, 1);
  expect(status.lastResult?.ok).toBe(true);
  expect(await stack.redis.exists(user.sessionKey)).toBe(1);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const { events } = await handle.fetchHistory();
  expect(events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
});

test('logins of many users share their shards: one workflow per shard, one preload child per login', async () => {
  await applyPreload({ skipIfWarmedWithinMinutes: 5 });
  const users = Array.from({ length: 12 }, () => newUser());
  await Promise.all(users.map((user) => shard.login(user.userId)));
  for (const user of users) await preloaded(shard, user.userId, 1);

  const shardIds = new Set(users.map((user) => shard.receiverId(user.userId)));
  const children: string[] = [];
  for (const shardId of shardIds) {
    const { events } = await stack.temporal.workflow.getHandle(shardId).fetchHistory();
    for (const event of events ?? []) {
      const id = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (id && users.some((user) => id.startsWith(`preload-user:${user.userId}:`))) children.push(id);
    }
  }
  expect(children).toHaveLength(12);
  expect(shardIds.size).toBeLessThanOrEqual(SHARDS);
  // A user's preloads are found by user in visibility.
  const user = users[0] as TestUser;
  const found: string[] = [];
  for await (const execution of stack.temporal.workflow.list({
    query: preloadsOfUserQuery(user.userId),
  })) {
    found.push(execution.workflowId);
  }
  expect(found).toEqual([children.find((id) => id.startsWith(`preload-user:${user.userId}:`))]);
});

test('a re-applied skip window reaches the running shards at once', async () => {
  await applyPreload({ skipIfWarmedWithinMinutes: 5 });
  const user = newUser();
  await shard.login(user.userId);
  await preloaded(shard, user.userId, 1);
  await shard.login(user.userId);
  await statusWhen(shard, user.userId, (s) => s.skipped === 1, 'the second login skipped');

  await applyPreload({ skipIfWarmedWithinMinutes: 0 });
  await shard.login(user.userId);

  const status = await preloaded(shard, user.userId, 2);
  expect(status.skipped).toBe(1);
  expect(origin.hitsFor(user.sessionPath)).toBe(2);
});

test('a shard continues as new carrying the skip window of its users and their waiting logins', async () => {
  await applyPreload({ skipIfWarmedWithinMinutes: 5 });
  const shardId = `user-logins:${stack.taskQueue}:can-${uniqueName('s')}`;
  const start = (userId: string, extra: Partial<UserLoggedIn> = {}) =>
    stack.temporal.workflow.signalWithStart(userLoginsWorkflow, {
      workflowId: shardId,
      taskQueue: stack.taskQueue,
      args: [{ historyEventsLimit: 30 }],
      signal: userLoggedInSignal,
      signalArgs: [{ userId, ...extra }],
    });
  const handle = stack.temporal.workflow.getHandle(shardId);
  const userStatus = (userId: string) => handle.query(userPreloadStatusQuery, userId);
  const users = Array.from({ length: 3 }, () => newUser());
  for (const user of users) {
    await start(user.userId);
    // Counted by the completed preload (a continue-as-new may come in between and resets counters).
    await waitFor(`${user.userId} preloaded`, async () => {
      const status = await userStatus(user.userId);
      return status?.lastCompleteAt !== null && status?.state === 'idle';
    });
  }
  for (const user of users) await start(user.userId, { force: true });

  const status = await waitFor('a continue-as-new', async () => {
    const s = await handle.query(userLoginsStatusQuery);
    return s.generation >= 1 && s.serving === 0 && s.waiting === 0 ? s : undefined;
  });
  expect(status.logins).toBe(6);
  for (const user of users) {
    await waitFor(`the forced preload of ${user.userId}`, () => origin.hitsFor(user.sessionPath) === 2);
  }
  // The skip window came along: a plain login now is skipped.
  const first = users[0] as TestUser;
  await start(first.userId);
  await waitFor('the login after continue-as-new skipped', async () => {
    const s = await handle.query(userLoginsStatusQuery);
    return s.skipped >= 1;
  });
  expect(origin.hitsFor(first.sessionPath)).toBe(2);
});

test('an idle per-user workflow completes by itself, and the next login starts a new run', async () => {
  await applyPreload({ idleMinutes: 0.05, skipIfWarmedWithinMinutes: 0 });
  const user = newUser();
  await session.login(user.userId);
  await preloaded(session, user.userId, 1);
  const firstRun = await sessionHandle(user.userId).describe();

  const final = await waitFor('the idle workflow to complete', async () => {
    const description = await sessionHandle(user.userId).describe();
    return description.status.name === 'COMPLETED' ? description : undefined;
  });

  expect(final.runId).toBe(firstRun.runId);
  expect(await sessionHandle(user.userId).result()).toMatchObject({ logins: 1, preloads: 1 });
  await session.login(user.userId);
  await preloaded(session, user.userId, 1);
  expect((await sessionHandle(user.userId).describe()).runId).not.toBe(firstRun.runId);
  expect(origin.hitsFor(user.sessionPath)).toBe(2);
});

test('a per-user session continues as new keeping the counters and the skip window', async () => {
  await applyPreload({ skipIfWarmedWithinMinutes: 5 });
  const user = newUser();
  await stack.temporal.workflow.signalWithStart(userSessionWorkflow, {
    workflowId: userSessionWorkflowId(user.userId),
    taskQueue: stack.taskQueue,
    args: [{ userId: user.userId, historyEventsLimit: 25 }],
    signal: userLoggedInSignal,
    signalArgs: [{ userId: user.userId }],
  });
  await preloaded(session, user.userId, 1);
  for (let n = 2; n <= 4; n++) {
    await session.login(user.userId, { force: true });
    await preloaded(session, user.userId, n);
  }

  const status = await waitFor('a continue-as-new', async () => {
    const s = await sessionHandle(user.userId).query(userSessionStatusQuery);
    return s.generation >= 1 ? s : undefined;
  });
  expect(status).toMatchObject({ preloads: 4, logins: 4 });
  await session.login(user.userId);
  await statusWhen(session, user.userId, (s) => s.skipped === 1, 'the login after continue-as-new skipped');
  expect(origin.hitsFor(user.sessionPath)).toBe(4);
});

test.each([
  ['the login shard (README)', 'userLoginsWorkflow'],
  ['the per-user session (release 0.1)', 'userSessionWorkflow'],
])('the Temporal CLI signal-with-start command for %s preloads a user', async (_name, type) => {
  await applyPreload();
  const user = newUser();
  const receiver = type === 'userLoginsWorkflow' ? shard : session;
  const input = type === 'userLoginsWorkflow' ? {} : { userId: user.userId };
  const { status, stderr } = spawnSync(
    temporalCliPath(),
    [
      'workflow',
      'signal-with-start',
      '--address',
      testServers().temporalAddress,
      '--workflow-id',
      receiver.receiverId(user.userId),
      '--type',
      type,
      '--task-queue',
      stack.taskQueue,
      '--input',
      JSON.stringify(input),
      '--signal-name',
      'userLoggedIn',
      '--signal-input',
      JSON.stringify({ userId: user.userId, preloadForms: false }),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  await preloaded(receiver, user.userId, 1);
  expect(await stack.redis.exists(user.sessionKey)).toBe(1);
  expect(origin.hitsFor(user.formsPath)).toBe(0);
});

test('the shard of a user is CRC-32 of its UTF-8 bytes modulo the shards, as other languages compute it', () => {
  // zlib.crc32(b'alice') in Python and crc32.ChecksumIEEE([]byte("alice")) in Go: 663665735.
  expect(loginShardOf('alice', 4)).toBe(663665735 % 4);
  expect(loginShardOf('élodie', 16)).toBe(loginShardOf('élodie', 16));
  expect(new Set(Array.from({ length: 400 }, (_, i) => loginShardOf(`user-${i}`, 4))).size).toBe(4);
});

test('notifyUserLoggedIn rejects a bad user id or option without starting a workflow', async () => {
  for (const [userId, message] of [
    ['', /must not be empty/],
    ['has space', /whitespace/],
    ['x'.repeat(257), /at most 256/],
  ] as const) {
    await expect(shard.login(userId)).rejects.toThrow(message);
  }
  await expect(
    notifyUserLoggedIn(stack.temporal, 'ok-user', { taskQueue: stack.taskQueue, shards: 0 }),
  ).rejects.toThrow(/shards must be an integer from 1 to 100000/);
  await expect(sessionHandle('has space').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});

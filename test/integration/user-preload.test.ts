// User preload on login against the real servers: the auth service's signal-with-start, the
// per-user workflow's dedupe and idle close, the preload child's sources, keys and TTLs.
import { WorkflowNotFoundError } from '@temporalio/client';
import { spawnSync } from 'node:child_process';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import type { WarmingConfigInput } from '../../core/config-schema';
import { temporalCliPath } from '../../scripts/local-stack';
import {
  userLoggedInSignal,
  userSessionStatusQuery,
  userSessionWorkflow,
  userSessionWorkflowId,
  type PreloadUserResult,
  type UserLoggedIn,
  type UserSessionStatus,
} from '../../workflows';
import { createTestStack, testServers, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';

let stack: TestStack;
let origin: TestOrigin;
/** Keys of this file live under their own namespace, outside the stack's reserved prefix. */
const ns = uniqueName('up');

beforeAll(async () => {
  stack = await createTestStack({
    loaders: {
      // A custom source: the value is built in the worker, from the template vars.
      async userNavigation(args, context) {
        return { userId: context.vars.userId, pages: args.pages };
      },
    },
  });
  origin = await startTestOrigin();
  await stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await origin?.close();
});

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

function sessionHandle(userId: string) {
  return stack.temporal.workflow.getHandle<typeof userSessionWorkflow>(userSessionWorkflowId(userId));
}

function login(userId: string, options: { force?: boolean; preloadForms?: boolean } = {}) {
  return notifyUserLoggedIn(stack.temporal, userId, { ...options, taskQueue: stack.taskQueue });
}

async function statusWhen(userId: string, ok: (s: UserSessionStatus) => boolean, what: string) {
  return waitFor(what, async () => {
    const status = await sessionHandle(userId).query(userSessionStatusQuery);
    return ok(status) ? status : undefined;
  });
}

/** Waits until `count` preloads have finished and nothing is running. */
function preloaded(userId: string, count: number) {
  return statusWhen(
    userId,
    (s) => s.preloads === count && s.state === 'idle' && s.lastResult !== null,
    `${count} finished preload(s) of ${userId}`,
  );
}

async function ttlOf(key: string): Promise<number> {
  return stack.redis.ttl(key);
}

test('a login loads session, navigation and the 5 most recent forms at the configured keys with their TTLs', async () => {
  await applyPreload();
  const user = newUser();

  await login(user.userId);

  const status = await preloaded(user.userId, 1);
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

  await preloaded(user.userId, 1);
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
  await preloaded(user.userId, 1);

  await login(user.userId);

  const status = await statusWhen(user.userId, (s) => s.skipped === 1, 'the second login skipped');
  expect(status.preloads).toBe(1);
  expect(origin.hitsFor(user.sessionPath)).toBe(1);
  expect(origin.hitsFor(user.formsPath)).toBe(1);
});

test('force reloads a user preloaded moments ago', async () => {
  await applyPreload({ skipIfWarmedWithinMinutes: 5 });
  const user = newUser();
  await login(user.userId);
  await preloaded(user.userId, 1);

  await login(user.userId, { force: true });

  const status = await preloaded(user.userId, 2);
  expect(status.skipped).toBe(0);
  expect(origin.hitsFor(user.sessionPath)).toBe(2);
  expect(JSON.parse((await stack.redis.get(user.sessionKey)) ?? 'null')).toMatchObject({ hit: 2 });
});

test('preloadForms: false loads session and navigation but no forms', async () => {
  await applyPreload();
  const user = newUser();

  await login(user.userId, { preloadForms: false });

  const status = await preloaded(user.userId, 1);
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

  const status = await statusWhen(
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

test('malformed userLoggedIn signals are logged and dropped, and the workflow keeps serving logins', async () => {
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

  const rejected = await statusWhen(user.userId, (s) => s.rejected === 5, 'five rejected signals');
  expect(rejected).toMatchObject({ logins: 0, preloads: 0, lastRejection: 'force must be a boolean (got string)' });

  await login(user.userId);

  const status = await preloaded(user.userId, 1);
  expect(status.lastResult?.ok).toBe(true);
  expect(await stack.redis.exists(user.sessionKey)).toBe(1);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const { events } = await handle.fetchHistory();
  expect(events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
});

test('a failing source does not stop the others, and the result names which failed', async () => {
  await applyPreload();
  const user = newUser();
  origin.route(`/users/${user.userId}/navigation`, () => ({ status: 404, body: 'gone' }));
  const brokenForm = user.recentFormIds[1] as string;
  origin.route(`/forms/${brokenForm}`, () => ({ status: 410, body: 'gone' }));

  await login(user.userId);

  const status = await preloaded(user.userId, 1);
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

test('a whole login preloads in one activity that retries a transient failure and reports a permanent one', async () => {
  await applyPreload();
  const user = newUser();
  const [, flaky, , gone] = user.recentFormIds as [string, string, string, string, string];
  // The flaky form's origin is down for its first request only; the gone form is never there.
  origin.route(`/forms/${flaky}`, (_req, hit) =>
    hit === 1 ? { status: 503, body: 'busy' } : { body: JSON.stringify({ formId: flaky, answers: 'ok' }) },
  );
  origin.route(`/forms/${gone}`, () => ({ status: 404, body: 'gone' }));

  await login(user.userId);

  const status = await preloaded(user.userId, 1);
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
  const scheduled = (events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
  expect(scheduled).toEqual(['preloadUser']);
});

test('an idle per-user workflow completes by itself, and the next login starts a new run', async () => {
  await applyPreload({ idleMinutes: 0.05, skipIfWarmedWithinMinutes: 0 });
  const user = newUser();
  await login(user.userId);
  await preloaded(user.userId, 1);
  const firstRun = await sessionHandle(user.userId).describe();

  const final = await waitFor('the idle workflow to complete', async () => {
    const description = await sessionHandle(user.userId).describe();
    return description.status.name === 'COMPLETED' ? description : undefined;
  });

  expect(final.runId).toBe(firstRun.runId);
  expect(await sessionHandle(user.userId).result()).toMatchObject({ logins: 1, preloads: 1 });
  await login(user.userId);
  await preloaded(user.userId, 1);
  expect((await sessionHandle(user.userId).describe()).runId).not.toBe(firstRun.runId);
  expect(origin.hitsFor(user.sessionPath)).toBe(2);
});

test('continue-as-new keeps the counters and the skip window', async () => {
  await applyPreload({ skipIfWarmedWithinMinutes: 5 });
  const user = newUser();
  await stack.temporal.workflow.signalWithStart(userSessionWorkflow, {
    workflowId: userSessionWorkflowId(user.userId),
    taskQueue: stack.taskQueue,
    args: [{ userId: user.userId, historyEventsLimit: 25 }],
    signal: userLoggedInSignal,
    signalArgs: [{ userId: user.userId }],
  });
  await preloaded(user.userId, 1);
  for (let n = 2; n <= 4; n++) {
    await login(user.userId, { force: true });
    await preloaded(user.userId, n);
  }

  const status = await statusWhen(user.userId, (s) => s.generation >= 1, 'a continue-as-new');
  expect(status).toMatchObject({ preloads: 4, logins: 4 });
  await login(user.userId);
  await statusWhen(user.userId, (s) => s.skipped === 1, 'the login after continue-as-new skipped');
  expect(origin.hitsFor(user.sessionPath)).toBe(4);
});

test('a login with no userPreload in the applied config fails the preload with a reason and loads nothing', async () => {
  await stack.warming.apply({ tasks: [] });
  const user = newUser();

  await login(user.userId);

  const status = await statusWhen(user.userId, (s) => s.failedPreloads === 1, 'the failed preload');
  expect(status.lastError).toMatch(/UserPreloadNotConfigured: the applied config has no userPreload section/);
  expect(status.preloads).toBe(0);
  expect(origin.hitsFor(user.sessionPath)).toBe(0);
});

test('user data never enters workflow history', async () => {
  await applyPreload();
  const user = newUser();
  await login(user.userId);
  const status = await preloaded(user.userId, 1);
  expect(await stack.redis.get(user.sessionKey)).toContain(user.marker);

  const histories = await Promise.all(
    [userSessionWorkflowId(user.userId), status.lastResult?.workflowId as string].map((id) =>
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

test('the Temporal CLI signal-with-start command from the README preloads a user', async () => {
  await applyPreload();
  const user = newUser();
  const payload = JSON.stringify({ userId: user.userId, preloadForms: false });
  const { status, stderr } = spawnSync(
    temporalCliPath(),
    [
      'workflow',
      'signal-with-start',
      '--address',
      testServers().temporalAddress,
      '--workflow-id',
      userSessionWorkflowId(user.userId),
      '--type',
      'userSessionWorkflow',
      '--task-queue',
      stack.taskQueue,
      '--input',
      JSON.stringify({ userId: user.userId }),
      '--signal-name',
      'userLoggedIn',
      '--signal-input',
      payload,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  await preloaded(user.userId, 1);
  expect(await stack.redis.exists(user.sessionKey)).toBe(1);
  expect(origin.hitsFor(user.formsPath)).toBe(0);
});

test('notifyUserLoggedIn rejects a bad user id without starting a workflow', async () => {
  for (const [userId, message] of [
    ['', /must not be empty/],
    ['has space', /whitespace/],
    ['x'.repeat(257), /at most 256/],
  ] as const) {
    await expect(login(userId)).rejects.toThrow(message);
  }
  await expect(sessionHandle('has space').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});

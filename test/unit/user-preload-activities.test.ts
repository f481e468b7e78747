import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { Loaders, type LoaderRegistry } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import { createUserPreloadActivities, type AppliedConfigReader } from '../../activities/user-preload-activities';

const limiter = new OriginLimiter(DEFAULT_LIMITS);
const listLoader = { type: 'custom', name: 'formsList' } as const;

afterAll(() => limiter.stop());

/** An activity context whose logger keeps expected failures out of the test output. */
function mockEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

function activities(registry: LoaderRegistry, config?: string | null) {
  const appliedConfig: AppliedConfigReader | undefined =
    config === undefined ? undefined : { readAppliedConfig: async () => config, reservedPrefix: 'cw:' };
  return createUserPreloadActivities({ loaders: new Loaders(registry, limiter, DEFAULT_LIMITS), appliedConfig });
}

/** The ApplicationFailure an activity call rejected with. */
async function failureOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

test('listUserForms returns only the ids of the max most recent forms, loading the list with the user in its vars', async () => {
  const seen: string[] = [];
  const { listUserForms } = activities({
    async formsList(_args, context) {
      seen.push(context.vars.userId as string);
      return [
        { id: 'a', updatedAt: '2024-01-01T00:00:00Z', title: 'private title' },
        { id: 'b', updatedAt: '2024-03-01T00:00:00Z' },
        { id: 'c', updatedAt: '2024-02-01T00:00:00Z' },
      ];
    },
  });
  const result = await mockEnv().run(listUserForms, {
    loader: listLoader,
    userId: 'alice',
    max: 2,
  });
  expect(result).toMatchObject({ formIds: ['b', 'c'], listed: 3 });
  expect(JSON.stringify(result)).not.toContain('private title');
  expect(seen).toEqual(['alice']);
});

test('listUserForms fails without retry naming the problem when the list is malformed', async () => {
  const { listUserForms } = activities({ formsList: async () => [{ id: 'ok' }, { id: { nested: true } }] });
  const failure = await failureOf(mockEnv().run(listUserForms, { loader: listLoader, userId: 'alice', max: 5 }));
  expect(failure).toMatchObject({ nonRetryable: true, type: 'BadLoaderResult' });
  expect(failure.message).toMatch(/^forms list\[1\]\.id: must be a form id/);
});

test('listUserForms fails without retry when the list is not JSON', async () => {
  const { listUserForms } = activities({ formsList: async () => '<html>login required</html>' });
  const failure = await failureOf(mockEnv().run(listUserForms, { loader: listLoader, userId: 'alice', max: 5 }));
  expect(failure).toMatchObject({ nonRetryable: true, message: 'forms list is not JSON' });
});

test('readUserPreloadSettings returns the applied userPreload section with its defaults', async () => {
  const config = JSON.stringify({
    tasks: [],
    userPreload: {
      session: { loader: { type: 'http', url: 'http://origin/u/{userId}' }, key: 'user:{userId}', ttlSeconds: 60 },
    },
  });
  const { readUserPreloadSettings } = activities({}, config);
  const settings = await mockEnv().run(readUserPreloadSettings);
  expect(settings).toMatchObject({
    reservedPrefix: 'cw:',
    preload: { skipIfWarmedWithinMinutes: 5, idleMinutes: 30, session: { key: 'user:{userId}', ttlSeconds: 60 } },
  });
});

test.each([
  ['no config was applied', null, /no config has been applied/],
  ['the config has no userPreload', JSON.stringify({ tasks: [] }), /no userPreload section/],
  [
    'the stored section is invalid',
    JSON.stringify({ userPreload: { skipIfWarmedWithinMinutes: -1 } }),
    /invalid: userPreload\.skipIfWarmedWithinMinutes/,
  ],
])('readUserPreloadSettings fails without retry when %s', async (_what, config, message) => {
  const { readUserPreloadSettings } = activities({}, config);
  const failure = await failureOf(mockEnv().run(readUserPreloadSettings));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(message);
});

test('listUserForms heartbeats while a slow origin has not answered yet', async () => {
  const env = mockEnv();
  const heartbeat = new Promise<void>((resolve) => env.once('heartbeat', () => resolve()));
  // The list arrives only after the activity has heartbeated: without beats it never would.
  const { listUserForms } = activities({ formsList: async () => heartbeat.then(() => ['f1']) });
  const result = await env.run(listUserForms, { loader: listLoader, userId: 'alice', max: 5 });
  expect(result).toMatchObject({ formIds: ['f1'] });
}, 15_000);

import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { Loaders, type LoaderRegistry } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import { createUserPreloadActivities, type AppliedConfigReader } from '../../activities/user-preload-activities';
import { parsePreloadUserInput, type PreloadUserInput } from '../../activities/preload-user-input';

const limiter = new OriginLimiter(DEFAULT_LIMITS);

afterAll(() => limiter.stop());

/** An activity context whose logger keeps expected failures out of the test output. */
function mockEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

function activities(registry: LoaderRegistry, config?: string | null) {
  const appliedConfig: AppliedConfigReader | undefined =
    config === undefined ? undefined : { readAppliedConfig: async () => config, reservedPrefix: 'cw:' };
  return createUserPreloadActivities({
    loaders: new Loaders({ registry, limiter, limits: DEFAULT_LIMITS }),
    appliedConfig,
  });
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

test('readUserPreloadSettings treats stray data of another type where the config belongs as no config', async () => {
  const { readUserPreloadSettings } = createUserPreloadActivities({
    loaders: new Loaders({ registry: {}, limiter, limits: DEFAULT_LIMITS }),
    appliedConfig: {
      readAppliedConfig: async () => {
        throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
      },
      reservedPrefix: 'cw:',
    },
  });
  const failure = await failureOf(mockEnv().run(readUserPreloadSettings));
  expect(failure).toMatchObject({ nonRetryable: true, type: 'UserPreloadNotConfigured' });
  expect(failure.message).toMatch(/no config has been applied/);
});

test("settings sent in a preload's input are parsed with the config's defaults, and only the parsed ones are used", () => {
  const input = {
    userId: 'u1',
    preloadForms: true,
    formsConcurrency: 2,
    retry: { maximumAttempts: 1, initialIntervalMs: 0, maximumIntervalMs: 0, backoffCoefficient: 1 },
    // As a start by hand sends them: no shedAfterSeconds, no skip window.
    settings: { session: { loader: { type: 'custom', name: 'loadSession' }, key: 'user:{userId}', ttlSeconds: 60 } },
  } as unknown as PreloadUserInput;
  const parsed = parsePreloadUserInput(input);
  // Without the default, the deadline was NaN and every load that waited for its origin was shed.
  expect(parsed.input?.settings).toMatchObject({ shedAfterSeconds: 3, skipIfWarmedWithinMinutes: 5 });
  expect(parsePreloadUserInput({ ...input, settings: { session: 'nope' } } as unknown as PreloadUserInput)).toEqual({
    problem: expect.stringContaining('settings.session'),
  });
});

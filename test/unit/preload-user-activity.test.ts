import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { CacheStore, WriteEntry, WriteOutcome } from '../../store/cache-store';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { Loaders, type LoaderRegistry } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import {
  createUserPreloadActivities,
  describeLoadFailure,
  isRetryableFailure,
  preloadUserInputProblem,
  type PreloadUserActivityResult,
  type PreloadUserInput,
} from '../../activities/user-preload-activities';
import { userPreloadSchema, type UserPreloadSpec } from '../../core/config-schema';
import { retryDelayMs, withRetries, type LoadRetryPolicy } from '../../core/load-retry';
import { preloadUserTimeoutSeconds } from '../../workflows/preload-user';

const limiter = new OriginLimiter(DEFAULT_LIMITS);
afterAll(() => limiter.stop());

const POLICY: LoadRetryPolicy = {
  maximumAttempts: 3,
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 5_000,
};
/** The same attempts with waits short enough for unit tests. */
const QUICK: LoadRetryPolicy = { ...POLICY, initialIntervalMs: 1, maximumIntervalMs: 2 };

const SETTINGS: UserPreloadSpec = userPreloadSchema.parse({
  session: { loader: { type: 'custom', name: 'session' }, key: 'user:{userId}:session', ttlSeconds: 300 },
  navigation: { loader: { type: 'custom', name: 'navigation' }, key: 'user:{userId}:nav', ttlSeconds: 300 },
  forms: {
    list: { type: 'custom', name: 'formsList' },
    item: { type: 'custom', name: 'form' },
    key: 'form:{formId}',
    max: 4,
    ttlSeconds: 600,
  },
});

function mockEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

/** A store that keeps what each writeManyIfNewer call was given; a key containing "older" is not written. */
function recordingStore(fail?: (entries: readonly WriteEntry[]) => Error | undefined) {
  const calls: WriteEntry[][] = [];
  const store = {
    async writeManyIfNewer(entries: readonly WriteEntry[]): Promise<WriteOutcome[]> {
      calls.push([...entries]);
      const err = fail?.(entries);
      if (err) throw err;
      return entries.map((e) => ({ written: !e.key.includes('older'), storedVersion: e.version }));
    },
  } as unknown as CacheStore;
  return { store, calls };
}

/** Loaders for every source: the list names the forms given, newest first; each load is counted. */
function registry(formIds: string[], overrides: LoaderRegistry = {}) {
  const loads: string[] = [];
  const loaders: LoaderRegistry = {
    async session(_args, context) {
      loads.push('session');
      return { user: context.vars.userId, token: 'PRIVATE' };
    },
    async navigation() {
      loads.push('navigation');
      return ['home', 'PRIVATE'];
    },
    async formsList(_args, context) {
      loads.push(`list:${context.vars.userId}`);
      return formIds.map((id, i) => ({
        id,
        updatedAt: new Date(Date.UTC(2024, 0, 30 - i)).toISOString(),
        title: 'PRIVATE',
      }));
    },
    async form(_args, context) {
      loads.push(`form:${context.vars.formId}`);
      return { formId: context.vars.formId, body: 'PRIVATE' };
    },
    ...overrides,
  };
  return { loaders, loads };
}

/** Every key written, over all calls, sorted. */
function writtenKeys(calls: WriteEntry[][]): string[] {
  return calls
    .flat()
    .map((e) => e.key)
    .sort();
}

function preloader(loaders: LoaderRegistry, store?: CacheStore) {
  return createUserPreloadActivities({
    loaders: new Loaders({ registry: loaders, limiter, limits: DEFAULT_LIMITS }),
    store,
  }).preloadUser;
}

function input(overrides: Partial<PreloadUserInput> = {}): PreloadUserInput {
  return {
    userId: 'alice',
    settings: SETTINGS,
    reservedPrefix: 'cw:',
    preloadForms: true,
    formsConcurrency: 2,
    retry: QUICK,
    ...overrides,
  };
}

function source(result: PreloadUserActivityResult, name: string) {
  const found = result.sources.find((s) => s.source === name);
  if (!found) throw new Error(`no ${name} source in ${JSON.stringify(result.sources.map((s) => s.source))}`);
  return found;
}

test('retryDelayMs follows the preload policy: 500 ms, doubling, at most 5 s', () => {
  expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(POLICY, attempt))).toEqual([500, 1_000, 2_000, 4_000, 5_000]);
});

/** Runs withRetries over an attempt that always throws `failure`: how many attempts ran, and the waits. */
async function giveUpOn(failure: Error): Promise<{ attempts: number; waits: number[] }> {
  const waits: number[] = [];
  let attempts = 0;
  const failing = withRetries(
    POLICY,
    async () => {
      attempts++;
      throw failure;
    },
    { retryable: isRetryableFailure, wait: async (ms) => void waits.push(ms) },
  );
  await expect(failing).rejects.toThrow(failure.message);
  return { attempts, waits };
}

test('withRetries retries a transient failure up to maximumAttempts, waiting by the policy', async () => {
  const { attempts, waits } = await giveUpOn(ApplicationFailure.retryable('busy', 'OriginUnavailable'));
  expect(attempts).toBe(3);
  expect(waits).toEqual([500, 1_000]);
});

test('withRetries returns the first success and never retries a non-retryable failure', async () => {
  await expect(
    withRetries(POLICY, async (n) => (n < 2 ? Promise.reject(new Error('reset')) : `ok on ${n}`), {
      retryable: isRetryableFailure,
      wait: async () => undefined,
    }),
  ).resolves.toBe('ok on 2');
  const { attempts, waits } = await giveUpOn(ApplicationFailure.nonRetryable('answered 404', 'OriginRejected'));
  expect(attempts).toBe(1);
  expect(waits).toEqual([]);
});

test('describeLoadFailure words failures as the workflow describes them coming back from an activity', () => {
  expect(describeLoadFailure(ApplicationFailure.nonRetryable('answered 404', 'OriginRejected'))).toBe(
    'OriginRejected: answered 404',
  );
  expect(describeLoadFailure(new TypeError('bad'))).toBe('TypeError: bad');
});

test.each([
  [{ userId: '' }, /userId must not be empty/],
  [{ preloadForms: 'yes' }, /preloadForms must be true or false/],
  [{ formsConcurrency: 0 }, /formsConcurrency must be a positive integer/],
  [{ retry: { ...POLICY, maximumAttempts: 0 } }, /retry\.maximumAttempts must be a positive integer/],
  [{ retry: { ...POLICY, initialIntervalMs: -1 } }, /retry\.initialIntervalMs must be a number of ms/],
  [{ retry: { ...POLICY, backoffCoefficient: 0.5 } }, /retry\.backoffCoefficient must be at least 1/],
  [{ settings: { ...SETTINGS, session: { key: 'user:{userId}', ttlSeconds: 0 } } }, /^settings\.session\./],
])('preloadUserInputProblem names the bad field (%p)', (overrides, message) => {
  expect(preloadUserInputProblem(input(overrides as Partial<PreloadUserInput>))).toMatch(message);
  expect(preloadUserInputProblem(input())).toBeUndefined();
});

test('preloadUserTimeoutSeconds leaves the slowest source all its attempts and waits', () => {
  // Per load: 3 attempts of 30 s and 1.5 s of waits (rounded up) = 92 s. Forms: the list, then
  // 4 forms in rounds of 2 (2 rounds): 3 x 92 s; plus 30 s.
  expect(preloadUserTimeoutSeconds(SETTINGS, true, 2, POLICY)).toBe(3 * 92 + 30);
  expect(preloadUserTimeoutSeconds(SETTINGS, true, 5, POLICY)).toBe(2 * 92 + 30);
  // Without forms, the slowest single source.
  expect(preloadUserTimeoutSeconds(SETTINGS, false, 5, POLICY)).toBe(92 + 30);
  const slowSession = {
    ...SETTINGS,
    session: { ...SETTINGS.session!, loader: { type: 'custom', name: 's', timeoutSeconds: 100 } },
  };
  expect(preloadUserTimeoutSeconds(slowSession as UserPreloadSpec, false, 5, POLICY)).toBe(302 + 30);
  expect(preloadUserTimeoutSeconds({ ...SETTINGS, session: undefined, navigation: undefined }, false, 5, POLICY)).toBe(
    30,
  );
});

test('preloadUser loads every source, retries a transient form failure, reports a permanent one, and writes all forms in one call', async () => {
  const attempts = new Map<string, number>();
  const { loaders, loads } = registry(['a', 'flaky', 'gone', 'older', 'fifth'], {
    async form(_args, context) {
      const formId = context.vars.formId as string;
      const n = (attempts.get(formId) ?? 0) + 1;
      attempts.set(formId, n);
      if (formId === 'flaky' && n === 1) throw ApplicationFailure.retryable('busy', 'OriginUnavailable');
      if (formId === 'gone') throw ApplicationFailure.nonRetryable('answered 404', 'OriginRejected');
      return { formId, user: context.vars.userId, secret: 'PRIVATE' };
    },
  });
  const { store, calls } = recordingStore();
  const before = Date.now();

  const result: PreloadUserActivityResult = await mockEnv().run(preloader(loaders, store), input());

  expect(result.sources.map((s) => [s.source, s.ok])).toEqual([
    ['session', true],
    ['navigation', true],
    ['forms', false],
  ]);
  expect(source(result, 'session').keys).toEqual([
    expect.objectContaining({ cacheKey: 'user:alice:session', ok: true, written: true }),
  ]);
  expect(source(result, 'navigation').keys[0]).toMatchObject({ cacheKey: 'user:alice:nav', ok: true, written: true });
  const forms = source(result, 'forms');
  // The list had 5; max is 4, most recent first.
  expect(forms.formIds).toEqual(['a', 'flaky', 'gone', 'older']);
  expect(
    forms.keys.map(({ formId, cacheKey, ok, written, error }) => ({ formId, cacheKey, ok, written, error })),
  ).toEqual([
    { formId: 'a', cacheKey: 'form:a', ok: true, written: true, error: undefined },
    { formId: 'flaky', cacheKey: 'form:flaky', ok: true, written: true, error: undefined },
    { formId: 'gone', cacheKey: 'form:gone', ok: false, written: undefined, error: 'OriginRejected: answered 404' },
    { formId: 'older', cacheKey: 'form:older', ok: true, written: false, error: undefined },
  ]);
  expect(forms.error).toBe('1 of 4 forms failed; first: OriginRejected: answered 404');
  expect(Object.fromEntries(attempts)).toEqual({ a: 1, flaky: 2, gone: 1, older: 1 });
  expect(loads.filter((l) => !l.startsWith('form:'))).toEqual(
    expect.arrayContaining(['session', 'navigation', 'list:alice']),
  );

  // Session and navigation each in its own write; the forms together in one.
  const written = calls
    .map((call) => call.map((e) => e.key))
    .sort((x, y) => x.length - y.length || x[0]!.localeCompare(y[0]!));
  expect(written).toEqual([['user:alice:nav'], ['user:alice:session'], ['form:a', 'form:flaky', 'form:older']]);
  for (const entry of calls.flat()) {
    expect(entry).toMatchObject({ source: 'user:alice', tags: ['user:alice'] });
    expect(entry.ttlSeconds).toBe(entry.key.startsWith('form:') ? 600 : 300);
    expect(entry.version).toBeGreaterThanOrEqual(before);
  }
  const sessionEntry = calls.flat().find((e) => e.key === 'user:alice:session');
  expect(source(result, 'session').keys[0]?.sizeBytes).toBe(Buffer.byteLength(sessionEntry?.value as string));
  expect(JSON.stringify(result)).not.toContain('PRIVATE');
});

test('preloadUser with preloadForms false loads no list and no forms', async () => {
  const { loaders, loads } = registry(['a']);
  const { store, calls } = recordingStore();
  const result: PreloadUserActivityResult = await mockEnv().run(
    preloader(loaders, store),
    input({ preloadForms: false }),
  );
  expect(result.sources.map((s) => s.source)).toEqual(['session', 'navigation']);
  expect(loads.sort()).toEqual(['navigation', 'session']);
  expect(writtenKeys(calls)).toEqual(['user:alice:nav', 'user:alice:session']);
});

test.each([
  [
    'a malformed list',
    async () => [{ id: 'ok' }, { id: { nested: true } }],
    /^BadLoaderResult: forms list\[1\]\.id: must be a form id/,
  ],
  ['a list that is not JSON', async () => '<html>login required</html>', /^BadLoaderResult: forms list is not JSON$/],
])(
  'preloadUser fails the forms source without retry on %s, and the other sources still load',
  async (_what, formsList, error) => {
    let listLoads = 0;
    const { loaders, loads } = registry([], {
      formsList: async (args, context) => {
        listLoads++;
        return (formsList as LoaderRegistry[string])(args, context);
      },
    });
    const { store, calls } = recordingStore();
    const result: PreloadUserActivityResult = await mockEnv().run(preloader(loaders, store), input());
    expect(source(result, 'forms')).toMatchObject({ ok: false, keys: [] });
    expect(source(result, 'forms').error).toMatch(error);
    expect(listLoads).toBe(1);
    expect(loads.filter((l) => l.startsWith('form:'))).toEqual([]);
    expect(source(result, 'session').ok).toBe(true);
    expect(writtenKeys(calls)).toEqual(['user:alice:nav', 'user:alice:session']);
  },
);

test('preloadUser retries a transient list failure', async () => {
  let listLoads = 0;
  const { loaders } = registry([], {
    async formsList() {
      if (++listLoads === 1) throw ApplicationFailure.retryable('busy', 'OriginUnavailable');
      return [{ id: 'f1' }];
    },
  });
  const result: PreloadUserActivityResult = await mockEnv().run(preloader(loaders, recordingStore().store), input());
  expect(source(result, 'forms')).toMatchObject({ ok: true, formIds: ['f1'] });
  expect(listLoads).toBe(2);
});

test('preloadUser refuses a key under the reserved prefix as that key failing, loading nothing for it', async () => {
  const { loaders, loads } = registry(['a', 'b']);
  const { store, calls } = recordingStore();
  const settings = { ...SETTINGS, forms: { ...SETTINGS.forms!, key: 'cw:{formId}' } };
  const result: PreloadUserActivityResult = await mockEnv().run(
    preloader(loaders, store),
    input({ settings, reservedPrefix: 'cw:a' }),
  );
  expect(source(result, 'forms').keys).toEqual([
    expect.objectContaining({
      formId: 'a',
      ok: false,
      error: 'BadInput: key "cw:a" is under the reserved prefix "cw:a": cached values are never written there',
    }),
    expect.objectContaining({ formId: 'b', ok: true }),
  ]);
  expect(loads.filter((l) => l.startsWith('form:'))).toEqual(['form:b']);
  expect(calls.flat().map((e) => e.key)).toContain('cw:b');
  expect(calls.flat().map((e) => e.key)).not.toContain('cw:a');
});

test('preloadUser reports the keys of a write that keeps failing as failed, and the other writes stand', async () => {
  const { loaders } = registry(['a', 'b']);
  const { store, calls } = recordingStore((entries) =>
    entries.some((e) => e.key.startsWith('form:')) ? new Error('READONLY') : undefined,
  );
  const result: PreloadUserActivityResult = await mockEnv().run(preloader(loaders, store), input());
  expect(calls.filter((call) => call[0]?.key.startsWith('form:'))).toHaveLength(3);
  expect(source(result, 'forms').keys.map((f) => [f.ok, f.error])).toEqual([
    [false, 'Error: READONLY'],
    [false, 'Error: READONLY'],
  ]);
  expect(source(result, 'session').ok).toBe(true);
  expect(source(result, 'navigation').ok).toBe(true);
});

test.each([
  ['formsConcurrency', { formsConcurrency: 1.5 }, /formsConcurrency must be a positive integer/],
  ['settings', { settings: { bogus: true } as unknown as UserPreloadSpec }, /settings: unknown field "bogus"|bogus/],
])('preloadUser fails without retry on bad %s, loading nothing', async (_what, overrides, message) => {
  const { loaders, loads } = registry(['a']);
  const err: unknown = await mockEnv()
    .run(preloader(loaders, recordingStore().store), input(overrides))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: true, type: 'BadInput' });
  expect((err as Error).message).toMatch(message);
  expect(loads).toEqual([]);
});

test('preloadUser fails saying so on a worker built without a cache store', async () => {
  const err: unknown = await mockEnv()
    .run(preloader(registry([]).loaders), input())
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ nonRetryable: true, type: 'UserPreloadNotConfigured' });
});

test('preloadUser heartbeats while a slow origin has not answered yet', async () => {
  const env = mockEnv();
  const heartbeat = new Promise<void>((resolve) => env.once('heartbeat', () => resolve()));
  // The list arrives only after the activity has heartbeated: without beats it never would.
  // Only the forms source, so no other load's completion beats first.
  const { loaders } = registry([], { formsList: async () => heartbeat.then(() => [{ id: 'f1' }]) });
  const settings = { ...SETTINGS, session: undefined, navigation: undefined };
  const result: PreloadUserActivityResult = await env.run(
    preloader(loaders, recordingStore().store),
    input({ settings }),
  );
  expect(source(result, 'forms')).toMatchObject({ ok: true, formIds: ['f1'] });
}, 15_000);

test('preloadUser fails when cancelled instead of reporting the sources', async () => {
  const env = mockEnv();
  const { store, calls } = recordingStore();
  let started: () => void = () => undefined;
  const loading = new Promise<void>((resolve) => (started = resolve));
  const hang: LoaderRegistry[string] = (_args, context) =>
    new Promise((_resolve, reject) => {
      context.signal.addEventListener('abort', () => reject(new Error('aborted')));
      started();
    });
  const { loaders } = registry([], { session: hang, navigation: hang, formsList: hang });
  const run = env.run(preloader(loaders, store), input());
  await loading;
  env.cancel();
  await expect(run).rejects.toThrow();
  expect(calls).toHaveLength(0);
});

import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { CacheStore, WriteEntry, WriteOutcome } from '../../activities/cache-store';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { Loaders, type LoaderRegistry } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import {
  createUserPreloadActivities,
  describeLoadFailure,
  isRetryableFailure,
  retryDelayMs,
  warmUserFormsInputProblem,
  withRetries,
  type FormRetryPolicy,
  type WarmUserFormsInput,
  type WarmUserFormsResult,
} from '../../activities/user-preload-activities';
import { warmUserFormsTimeoutSeconds } from '../../workflows/preload-user';

const limiter = new OriginLimiter(DEFAULT_LIMITS);
afterAll(() => limiter.stop());

const POLICY: FormRetryPolicy = {
  maximumAttempts: 3,
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 5_000,
};
/** The same attempts with waits short enough for unit tests. */
const QUICK: FormRetryPolicy = { ...POLICY, initialIntervalMs: 1, maximumIntervalMs: 2 };

function mockEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

/** A store that keeps what each writeManyIfNewer call was given. */
function recordingStore(fail?: (call: number) => Error | undefined) {
  const calls: WriteEntry[][] = [];
  const store = {
    async writeManyIfNewer(entries: readonly WriteEntry[]): Promise<WriteOutcome[]> {
      calls.push([...entries]);
      const err = fail?.(calls.length);
      if (err) throw err;
      return entries.map((e) => ({ written: !e.key.includes('older'), storedVersion: e.version }));
    },
  } as unknown as CacheStore;
  return { store, calls };
}

function warmer(registry: LoaderRegistry, store: CacheStore) {
  return createUserPreloadActivities({ loaders: new Loaders(registry, limiter, DEFAULT_LIMITS), store }).warmUserForms;
}

function input(formIds: string[], overrides: Partial<WarmUserFormsInput> = {}): WarmUserFormsInput {
  return {
    userId: 'alice',
    loader: { type: 'custom', name: 'form' },
    keyTemplate: 'form:{formId}',
    ttlSeconds: 600,
    tags: ['user:alice'],
    source: 'user:alice',
    reservedPrefix: 'cw:',
    formIds,
    concurrency: 2,
    retry: QUICK,
    ...overrides,
  };
}

test('retryDelayMs follows the preload policy: 500 ms, doubling, at most 5 s', () => {
  expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(POLICY, attempt))).toEqual([500, 1_000, 2_000, 4_000, 5_000]);
});

test('withRetries retries a transient failure up to maximumAttempts, waiting by the policy', async () => {
  const waits: number[] = [];
  let attempts = 0;
  const failing = withRetries(
    POLICY,
    async () => {
      attempts++;
      throw ApplicationFailure.retryable('busy', 'OriginUnavailable');
    },
    { retryable: isRetryableFailure, wait: async (ms) => void waits.push(ms) },
  );
  await expect(failing).rejects.toThrow('busy');
  expect(attempts).toBe(3);
  expect(waits).toEqual([500, 1_000]);
});

test('withRetries returns the first success and never retries a non-retryable failure', async () => {
  const wait = async () => undefined;
  await expect(
    withRetries(POLICY, async (n) => (n < 2 ? Promise.reject(new Error('reset')) : `ok on ${n}`), {
      retryable: isRetryableFailure,
      wait,
    }),
  ).resolves.toBe('ok on 2');
  let attempts = 0;
  const rejected = withRetries(
    POLICY,
    async () => {
      attempts++;
      throw ApplicationFailure.nonRetryable('answered 404', 'OriginRejected');
    },
    { retryable: isRetryableFailure, wait },
  );
  await expect(rejected).rejects.toThrow('answered 404');
  expect(attempts).toBe(1);
});

test('describeLoadFailure words failures as the workflow describes them coming back from an activity', () => {
  expect(describeLoadFailure(ApplicationFailure.nonRetryable('answered 404', 'OriginRejected'))).toBe(
    'OriginRejected: answered 404',
  );
  expect(describeLoadFailure(new TypeError('bad'))).toBe('TypeError: bad');
});

test.each([
  [{ userId: '' }, /userId must not be empty/],
  [{ formIds: ['a', ''] }, /formIds\[1\] must be a non-empty string/],
  [{ ttlSeconds: 0 }, /ttlSeconds must be a positive integer/],
  [{ concurrency: 0 }, /concurrency must be a positive integer/],
  [{ retry: { ...POLICY, maximumAttempts: 0 } }, /retry\.maximumAttempts must be a positive integer/],
  [{ retry: { ...POLICY, backoffCoefficient: 0.5 } }, /retry\.backoffCoefficient must be at least 1/],
])('warmUserFormsInputProblem names the bad field (%p)', (overrides, message) => {
  expect(warmUserFormsInputProblem(input(['a'], overrides as Partial<WarmUserFormsInput>))).toMatch(message);
  expect(warmUserFormsInputProblem(input(['a']))).toBeUndefined();
});

test('warmUserFormsTimeoutSeconds leaves every round of forms all its attempts and waits', () => {
  // 3 attempts of 30 s and 1.5 s of waits (rounded up) per round, plus 30 s.
  expect(warmUserFormsTimeoutSeconds(30, 5, 5, POLICY)).toBe(122);
  expect(warmUserFormsTimeoutSeconds(30, 6, 5, POLICY)).toBe(214);
  expect(warmUserFormsTimeoutSeconds(10, 0, 5, { ...POLICY, maximumAttempts: 1 })).toBe(40);
});

test('warmUserForms retries a transient failure, reports a permanent one, and writes the rest in one call', async () => {
  const attempts = new Map<string, number>();
  const { store, calls } = recordingStore();
  const warmUserForms = warmer(
    {
      async form(_args, context) {
        const formId = context.vars.formId as string;
        const n = (attempts.get(formId) ?? 0) + 1;
        attempts.set(formId, n);
        if (formId === 'flaky' && n === 1) throw ApplicationFailure.retryable('busy', 'OriginUnavailable');
        if (formId === 'gone') throw ApplicationFailure.nonRetryable('answered 404', 'OriginRejected');
        return { formId, user: context.vars.userId, secret: 'PRIVATE' };
      },
    },
    store,
  );
  const before = Date.now();

  const result: WarmUserFormsResult = await mockEnv().run(warmUserForms, input(['a', 'flaky', 'gone', 'older']));

  expect(
    result.forms.map(({ formId, cacheKey, ok, written, error }) => ({ formId, cacheKey, ok, written, error })),
  ).toEqual([
    { formId: 'a', cacheKey: 'form:a', ok: true, written: true, error: undefined },
    { formId: 'flaky', cacheKey: 'form:flaky', ok: true, written: true, error: undefined },
    { formId: 'gone', cacheKey: 'form:gone', ok: false, written: undefined, error: 'OriginRejected: answered 404' },
    { formId: 'older', cacheKey: 'form:older', ok: true, written: false, error: undefined },
  ]);
  expect(Object.fromEntries(attempts)).toEqual({ a: 1, flaky: 2, gone: 1, older: 1 });
  expect(calls).toHaveLength(1);
  expect(calls[0]?.map((e) => e.key)).toEqual(['form:a', 'form:flaky', 'form:older']);
  for (const entry of calls[0] ?? []) {
    expect(entry).toMatchObject({ ttlSeconds: 600, source: 'user:alice', tags: ['user:alice'] });
    expect(entry.version).toBeGreaterThanOrEqual(before);
  }
  expect(result.forms[0]?.sizeBytes).toBe(Buffer.byteLength(calls[0]?.[0]?.value as string));
  expect(JSON.stringify(result)).not.toContain('PRIVATE');
});

test('warmUserForms refuses a key under the reserved prefix as that form failing, loading nothing for it', async () => {
  const loaded: string[] = [];
  const { store, calls } = recordingStore();
  const warmUserForms = warmer(
    {
      async form(_args, context) {
        loaded.push(context.vars.formId as string);
        return 'value';
      },
    },
    store,
  );

  const result: WarmUserFormsResult = await mockEnv().run(
    warmUserForms,
    input(['a', 'b'], { keyTemplate: 'cw:{formId}', reservedPrefix: 'cw:a' }),
  );

  expect(result.forms[0]).toMatchObject({
    formId: 'a',
    ok: false,
    error: 'Error: key is under the reserved prefix "cw:a"',
  });
  expect(result.forms[1]).toMatchObject({ formId: 'b', ok: true });
  expect(loaded).toEqual(['b']);
  expect(calls[0]?.map((e) => e.key)).toEqual(['cw:b']);
});

test('warmUserForms reports every loaded form failed when the write keeps failing', async () => {
  const { store, calls } = recordingStore(() => new Error('READONLY'));
  const warmUserForms = warmer({ form: async () => 'value' }, store);

  const result: WarmUserFormsResult = await mockEnv().run(warmUserForms, input(['a', 'b']));

  expect(calls).toHaveLength(3);
  expect(result.forms.map((f) => [f.ok, f.error])).toEqual([
    [false, 'Error: READONLY'],
    [false, 'Error: READONLY'],
  ]);
});

test('warmUserForms fails without retry on bad input', async () => {
  const warmUserForms = warmer({}, recordingStore().store);
  const err: unknown = await mockEnv()
    .run(warmUserForms, input(['a'], { concurrency: 1.5 }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: true, type: 'BadInput' });
});

test('warmUserForms heartbeats while a slow origin has not answered yet', async () => {
  const env = mockEnv();
  const heartbeat = new Promise<void>((resolve) => env.once('heartbeat', () => resolve()));
  // The form arrives only after the activity has heartbeated: without beats it never would.
  const warmUserForms = warmer({ form: async () => heartbeat.then(() => 'value') }, recordingStore().store);
  const result: WarmUserFormsResult = await env.run(warmUserForms, input(['a']));
  expect(result.forms[0]).toMatchObject({ ok: true });
}, 15_000);

test('warmUserForms fails when cancelled instead of reporting the forms', async () => {
  const env = mockEnv();
  const { store, calls } = recordingStore();
  let started: () => void = () => undefined;
  const loading = new Promise<void>((resolve) => (started = resolve));
  const warmUserForms = warmer(
    {
      form: (_args, context) =>
        new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(new Error('aborted')));
          started();
        }),
    },
    store,
  );
  const run = env.run(warmUserForms, input(['a', 'b']));
  await loading;
  env.cancel();
  await expect(run).rejects.toThrow();
  expect(calls).toHaveLength(0);
});

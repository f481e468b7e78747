// Merging a user's views from several login shards (client/user-preload-status.ts): after a change
// of WARMING_LOGIN_SHARDS the user's logins may have reached more than one shard.
import { mergeUserPreloadStatuses } from '../../client/user-preload-status';
import type { PreloadSummary, UserPreloadStatus } from '../../workflows';

function view(overrides: Partial<UserPreloadStatus>): UserPreloadStatus {
  return {
    userId: 'alice',
    state: 'idle',
    logins: 1,
    preloads: 1,
    failedPreloads: 0,
    skipped: 0,
    coalesced: 0,
    lastLoginAt: '2026-12-03T10:00:00.000Z',
    lastCompleteAt: null,
    lastResult: null,
    lastError: null,
    ...overrides,
  };
}

function result(workflowId: string, finishedAt: string): PreloadSummary {
  return { workflowId, ok: true, failed: [], keysWritten: 7, startedAt: finishedAt, finishedAt, durationMs: 50 };
}

test('no views is no user, and one view is itself', () => {
  expect(mergeUserPreloadStatuses([])).toBeNull();
  const only = view({ logins: 3 });
  expect(mergeUserPreloadStatuses([only])).toBe(only);
});

test('counters of the shards add up', () => {
  const merged = mergeUserPreloadStatuses([
    view({ logins: 3, preloads: 2, failedPreloads: 1, skipped: 1, coalesced: 0 }),
    view({ logins: 2, preloads: 1, failedPreloads: 0, skipped: 0, coalesced: 1 }),
  ]);
  expect(merged).toMatchObject({ logins: 5, preloads: 3, failedPreloads: 1, skipped: 1, coalesced: 1 });
});

test('the state is the busiest shard’s: preloading over waiting over idle', () => {
  expect(mergeUserPreloadStatuses([view({ state: 'idle' }), view({ state: 'waiting' })])?.state).toBe('waiting');
  expect(
    mergeUserPreloadStatuses([view({ state: 'waiting' }), view({ state: 'preloading' }), view({ state: 'idle' })])
      ?.state,
  ).toBe('preloading');
  expect(mergeUserPreloadStatuses([view({ state: 'idle' }), view({ state: 'idle' })])?.state).toBe('idle');
});

test('times and the last result are the latest of any shard, whichever order the shards answer in', () => {
  const old = view({
    lastLoginAt: '2026-12-03T10:00:00.000Z',
    lastCompleteAt: '2026-12-03T10:00:05.000Z',
    lastResult: result('preload-user:alice:1', '2026-12-03T10:00:05.000Z'),
  });
  const recent = view({
    lastLoginAt: '2026-12-03T10:01:00.000Z',
    lastCompleteAt: null,
    lastResult: null,
  });
  const later = view({
    lastLoginAt: '2026-12-03T09:59:00.000Z',
    lastCompleteAt: '2026-12-03T10:00:09.000Z',
    lastResult: result('preload-user:alice:2', '2026-12-03T10:00:09.000Z'),
  });
  for (const order of [
    [old, recent, later],
    [later, recent, old],
    [recent, later, old],
  ]) {
    const merged = mergeUserPreloadStatuses(order);
    expect(merged?.lastLoginAt).toBe('2026-12-03T10:01:00.000Z');
    expect(merged?.lastCompleteAt).toBe('2026-12-03T10:00:09.000Z');
    expect(merged?.lastResult?.workflowId).toBe('preload-user:alice:2');
  }
});

test('a shard that never completed a preload leaves the merged lastCompleteAt to the others', () => {
  const merged = mergeUserPreloadStatuses([view({ lastCompleteAt: null }), view({ lastCompleteAt: null })]);
  expect(merged?.lastCompleteAt).toBeNull();
  expect(merged?.lastResult).toBeNull();
});

test('the last error is that of the shard that received the latest login', () => {
  const failedEarlier = view({ lastLoginAt: '2026-12-03T10:00:00.000Z', lastError: 'session: HTTP 500' });
  const fineLater = view({ lastLoginAt: '2026-12-03T10:02:00.000Z', lastError: null });
  expect(mergeUserPreloadStatuses([failedEarlier, fineLater])?.lastError).toBeNull();
  const failedLater = view({ lastLoginAt: '2026-12-03T10:03:00.000Z', lastError: 'navigation: timed out' });
  expect(mergeUserPreloadStatuses([failedEarlier, fineLater, failedLater])?.lastError).toBe('navigation: timed out');
});

test('views of different users are refused', () => {
  expect(() => mergeUserPreloadStatuses([view({ userId: 'alice' }), view({ userId: 'bob' })])).toThrow(
    'cannot merge the views of different users: alice, bob',
  );
});

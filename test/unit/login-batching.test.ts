// The login rules both login receivers share (core/login-batching.ts).
import { arriveLogin, skipsPreload, type LoginWants } from '../../core/login-batching';

const plain: LoginWants = { force: false, preloadForms: true };
const noForms: LoginWants = { force: false, preloadForms: false };
const forced: LoginWants = { force: true, preloadForms: false };

test('a login the running preload covers joins it', () => {
  expect(arriveLogin(plain, plain, null)).toEqual({ kind: 'covered' });
  expect(arriveLogin(noForms, plain, null)).toEqual({ kind: 'covered' });
  // Covered even with a batch queued: the running preload already does what it asks.
  expect(arriveLogin(noForms, noForms, plain)).toEqual({ kind: 'covered' });
});

test('a forced login, or one wanting forms the running preload leaves out, queues one more', () => {
  expect(arriveLogin(forced, plain, null)).toEqual({ kind: 'queued', pending: forced });
  expect(arriveLogin(plain, noForms, null)).toEqual({ kind: 'queued', pending: plain });
  expect(arriveLogin(noForms, null, null)).toEqual({ kind: 'queued', pending: noForms });
});

test('a login arriving with a batch queued merges into it: forced if either is, forms if either wants them', () => {
  expect(arriveLogin(forced, plain, noForms)).toEqual({
    kind: 'merged',
    pending: { force: true, preloadForms: false },
  });
  expect(arriveLogin(plain, null, forced)).toEqual({ kind: 'merged', pending: { force: true, preloadForms: true } });
});

test('a batch is skipped only when not forced, within the window, and the last preload had the forms it wants', () => {
  const last = { completeAtMs: 1_000, includedForms: false };
  expect(skipsPreload(noForms, last, 300_000, 200_000)).toBe(true);
  expect(skipsPreload(noForms, last, 300_000, 301_000)).toBe(false); // the window is open at its end
  expect(skipsPreload(plain, last, 300_000, 2_000)).toBe(false); // wants forms the last one left out
  expect(skipsPreload(plain, { ...last, includedForms: true }, 300_000, 2_000)).toBe(true);
  expect(skipsPreload(forced, { ...last, includedForms: true }, 300_000, 2_000)).toBe(false);
  expect(skipsPreload(noForms, { completeAtMs: null, includedForms: true }, 300_000, 2_000)).toBe(false);
  expect(skipsPreload(noForms, last, 0, 1_000)).toBe(false); // a zero window skips nothing
});

import { MAX_USER_ID_LENGTH, userIdProblem, userLoggedInProblem } from '../../core/user-login';

test('accepts ordinary user ids, including emails and unicode', () => {
  for (const userId of ['alice', 'u-42', 'alice@example.com', 'Zoë', 'x'.repeat(MAX_USER_ID_LENGTH)]) {
    expect(userIdProblem(userId)).toBeUndefined();
  }
});

test.each([
  [undefined, /must be a string \(got undefined\)/],
  [42, /must be a string \(got number\)/],
  ['', /must not be empty/],
  ['x'.repeat(MAX_USER_ID_LENGTH + 1), /at most 256 characters/],
  ['al ice', /whitespace or control/],
  ['alice\n', /whitespace or control/],
  ['al\u0000ice', /whitespace or control/],
  ['al\u0085ice', /whitespace or control/],
])('rejects user id %j', (userId, message) => {
  expect(userIdProblem(userId)).toMatch(message);
});

test('a well-formed login payload has no problem', () => {
  expect(userLoggedInProblem({ userId: 'alice' }, 'alice')).toBeUndefined();
  expect(userLoggedInProblem({ userId: 'alice', force: true, preloadForms: false }, 'alice')).toBeUndefined();
  expect(userLoggedInProblem({ userId: 'alice', extra: 'ignored' })).toBeUndefined();
});

test.each([
  [undefined, /payload must be an object/],
  ['alice', /payload must be an object .* \(got string\)/],
  [['alice'], /got an array/],
  [{}, /userId must be a string/],
  [{ userId: '' }, /userId must not be empty/],
  [{ userId: 'bob' }, /does not match this workflow's user/],
  [{ userId: 'alice', force: 'yes' }, /force must be a boolean \(got string\)/],
  [{ userId: 'alice', preloadForms: 0 }, /preloadForms must be a boolean \(got number\)/],
])('a malformed login payload %j is named', (payload, message) => {
  expect(userLoggedInProblem(payload, 'alice')).toMatch(message);
});

test.each(['\ud800', 'a\udc00b', 'x\ud83d'])(
  'rejects user id %j: a lone surrogate has no UTF-8 form, so no workflow id could carry it',
  (userId) => {
    expect(userIdProblem(userId)).toMatch(/well-formed Unicode/);
  },
);

test('a surrogate pair (an astral character) is well formed', () => {
  expect(userIdProblem('user-😀')).toBeUndefined();
});

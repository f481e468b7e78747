// User keys that cannot collide: templates refused when two sources, or a source and a task, can name one key.
import { templatesCanCollide } from '../../core/key-template';
import { parseWarmingConfig } from '../../core/config-schema';

test.each([
  ['u:{userId}', 'u:{userId}:f:{formId}', true],
  ['u:{userId}:s', 'u:x:{userId}', true],
  ['s:{userId}', 's:{userId}x', true],
  ['user:admin:session', 'user:{userId}:session', true],
  ['user:{userId}:session', 'user:{userId}:navigation', false],
  ['user:{userId}:session', 'form:{formId}', false],
  ['catalog:products', 'user:{userId}:session', false],
  ['user:{userId}', 'user:', false],
])('%s and %s can collide: %s', (a, b, expected) => {
  expect(templatesCanCollide(a, b)).toBe(expected);
  expect(templatesCanCollide(b, a)).toBe(expected);
});

const http = (path: string) => ({ type: 'http', url: `http://127.0.0.1:8080/${path}` });

test('refuses user templates that let one user id write another user key', () => {
  expect(() =>
    parseWarmingConfig({
      userPreload: {
        session: { loader: http('s/{userId}'), key: 'u:{userId}', ttlSeconds: 60 },
        forms: { list: http('f/{userId}'), item: http('i/{formId}'), key: 'u:{userId}:f:{formId}', ttlSeconds: 60 },
      },
    }),
  ).toThrow(/^userPreload\.forms\.key: .*can name the same key/);
});

test("refuses a task whose key a user's preload can write", () => {
  expect(() =>
    parseWarmingConfig({
      tasks: [{ taskId: 'a', cacheKey: 'user:admin:session', loader: http('a'), ttlSeconds: 60 }],
      userPreload: { session: { loader: http('s/{userId}'), key: 'user:{userId}:session', ttlSeconds: 60 } },
    }),
  ).toThrow(/^tasks\[0\]\.cacheKey: .*userPreload\.session\.key/);
});

test("accepts the contract's templates", () => {
  expect(() =>
    parseWarmingConfig({
      userPreload: {
        session: { loader: http('s/{userId}'), key: 'user:{userId}:session', ttlSeconds: 60 },
        navigation: { loader: http('n/{userId}'), key: 'user:{userId}:navigation', ttlSeconds: 60 },
        forms: { list: http('f/{userId}'), item: http('i/{formId}'), key: 'form:{formId}', ttlSeconds: 60 },
      },
    }),
  ).not.toThrow();
});

test('refuses tags too large for one search attribute value, and oversized specs, naming the limit', () => {
  const tags = Array.from({ length: 32 }, (_, i) => `${String(i).padStart(2, '0')}${'t'.repeat(62)}`);
  expect(() =>
    parseWarmingConfig({ tasks: [{ taskId: 'a', cacheKey: 'k', loader: http('a'), ttlSeconds: 60, tags }] }),
  ).toThrow(/^tasks\[0\]\.tags: tags together must be at most 2048 bytes/);
  const headers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`h${i}`, 'v'.repeat(8000)]));
  expect(() =>
    parseWarmingConfig({
      tasks: [{ taskId: 'a', cacheKey: 'k', loader: { ...http('a'), headers }, ttlSeconds: 60 }],
    }),
  ).toThrow(/^tasks\[0\]: a task spec must be at most 65536 bytes/);
});

// The one rule for which part of a config loads a key, shared by hot-key warming, `invalidate
// --rewarm` and `warmctl import`.
import { parseWarmingConfig } from '../../core/config-schema';
import { keyOwners } from '../../core/key-owner';

const config = parseWarmingConfig({
  tasks: [
    { taskId: 'home', cacheKey: 'product:home', loader: { type: 'http', url: 'http://o.test/home' }, ttlSeconds: 60 },
  ],
  patterns: [
    { match: 'product:{id}', loader: { type: 'http', url: 'http://o.test/p/{id}' }, ttlSeconds: 60 },
    { match: '{a}:{b}', loader: { type: 'http', url: 'http://o.test/{a}/{b}' }, ttlSeconds: 60 },
  ],
});

test("a task's own key belongs to the task even when a pattern matches it too", () => {
  expect(keyOwners(config)('product:home')).toMatchObject({ kind: 'task', task: { taskId: 'home' } });
});

test('other keys belong to the first pattern they match, with its placeholder values', () => {
  const ownerOf = keyOwners(config);
  expect(ownerOf('product:42')).toEqual({ kind: 'pattern', index: 0, pattern: config.patterns[0], vars: { id: '42' } });
  expect(ownerOf('user:7')).toMatchObject({ kind: 'pattern', index: 1, vars: { a: 'user', b: '7' } });
});

test('a key nothing matches has no owner', () => {
  expect(keyOwners(config)('plain')).toBeUndefined();
  expect(keyOwners({ tasks: [], patterns: [] })('product:home')).toBeUndefined();
});

// Text with no UTF-8 form (a lone surrogate, which a JSON \ud800 escape carries) is refused where it
// comes in: in a config it would become workflow ids, keys and payloads no worker can send.
import { ConfigError, parseTask, parseWarmingConfig } from '../../core/config-schema';
import { illFormedTextPath, isWellFormedText } from '../../core/well-formed-text';

const task = { taskId: 't1', cacheKey: 'k:1', loader: { type: 'http', url: 'http://origin/x' }, ttlSeconds: 60 };

test('well-formed: ASCII, accents, astral characters as surrogate pairs; not: either half alone', () => {
  for (const text of ['', 'abc', 'Zoë', '😀', 'a😀b']) expect(isWellFormedText(text)).toBe(true);
  for (const text of ['\ud800', '\udc00', 'a\ud83d', '\ude00b', '\ud800\ud800'])
    expect(isWellFormedText(text)).toBe(false);
});

test('the path of the first ill-formed string, a key or a value at any depth', () => {
  expect(illFormedTextPath({ a: [1, { b: 'ok' }, { c: 'x\ud800' }] })).toEqual(['a', 2, 'c']);
  expect(illFormedTextPath({ ['k\udc00']: 1 })).toEqual(['k\udc00']);
  expect(illFormedTextPath({ a: ['fine', '😀'] })).toBeUndefined();
});

test.each([
  [
    'a pattern match',
    { tasks: [], patterns: [{ match: 'p:{id}\ud800', loader: task.loader, ttlSeconds: 60 }] },
    'patterns[0].match',
  ],
  ['a cache key', { tasks: [{ ...task, cacheKey: 'k:\udc00' }] }, 'tasks[0].cacheKey'],
  [
    'a header name',
    { tasks: [{ ...task, loader: { ...task.loader, headers: { ['X-\ud800']: 'v' } } }] },
    'tasks[0].loader.headers',
  ],
])('a config with a lone surrogate in %s is refused naming where', (_what, config, where) => {
  expect(() => parseWarmingConfig(config)).toThrow(ConfigError);
  expect(() => parseWarmingConfig(config)).toThrow(where);
  expect(() => parseWarmingConfig(config)).toThrow(/well-formed Unicode/);
});

test('one task is held to the same rule', () => {
  expect(() => parseTask({ ...task, tags: ['a\ud800'] })).toThrow('tags[0]');
  expect(parseTask(task).taskId).toBe('t1');
});

// Bad config of every kind the issue lists: each is refused as a whole with one line that names
// the field and says what is wrong.
import { parseConfigText } from '../../config/config-file';
import { ConfigError } from '../../core/config-schema';

const loader = { type: 'http', url: 'http://127.0.0.1:8080/products' };
const task = { taskId: 'catalog', cacheKey: 'catalog:products', loader, ttlSeconds: 60 };
const withTask = (changes: Record<string, unknown>) => ({ tasks: [{ ...task, ...changes }] });

test.each<[string, unknown, RegExp]>([
  ['a wrong type', withTask({ ttlSeconds: '60' }), /^cfg\.json: tasks\[0\]\.ttlSeconds: .*expected number/],
  ['a negative TTL', withTask({ ttlSeconds: -1 }), /^cfg\.json: tasks\[0\]\.ttlSeconds: .*>0/],
  ['a fractional TTL', withTask({ ttlSeconds: 1.5 }), /^cfg\.json: tasks\[0\]\.ttlSeconds: must be a whole number/],
  ['a priority out of range', withTask({ priority: 1001 }), /^cfg\.json: tasks\[0\]\.priority: .*<=1000/],
  ['an interval too short', withTask({ intervalMinutes: 0 }), /^cfg\.json: tasks\[0\]\.intervalMinutes: .*>=0\.01/],
  ['an unknown loader type', withTask({ loader: { type: 'ftp', url: 'ftp://x/' } }), /tasks\[0\]\.loader\.type: /],
  ['a custom loader without a name', withTask({ loader: { type: 'custom' } }), /tasks\[0\]\.loader\.name: /],
  [
    'a URL that is not one',
    withTask({ loader: { type: 'http', url: 'not a url' } }),
    /loader\.url: "not a url" is not a valid URL/,
  ],
  [
    'a URL that is not one, without its token',
    withTask({ loader: { type: 'http', url: 'http://h:99999/p?access_token=s3cret' } }),
    /loader\.url: "http:\/\/h:99999\/p\?access_token=\*\*\*" is not a valid URL/,
  ],
  [
    'a header value that is neither a string nor an environment reference',
    withTask({ loader: { ...loader, headers: { Authorization: 42 } } }),
    /loader\.headers\.Authorization: must be a string of at most 8192 characters, or \{ "env": "NAME" \}/,
  ],
  [
    'a header environment reference that names no variable',
    withTask({ loader: { ...loader, headers: { Authorization: { env: 'not a name' } } } }),
    /loader\.headers\.Authorization\.env: must name an environment variable: letters, digits and _$/,
  ],
  [
    'a non-http URL',
    withTask({ loader: { type: 'http', url: 'file:///etc/passwd' } }),
    /loader\.url: url must be http or https/,
  ],
  [
    'credentials in a URL',
    withTask({ loader: { type: 'http', url: 'http://u:p@h/' } }),
    /loader\.url: url must not embed credentials/,
  ],
  [
    'a placeholder a task cannot fill',
    withTask({ loader: { type: 'http', url: 'http://h/{id}' } }),
    /loader\.url: url uses unknown placeholder \{id\}; none are allowed here/,
  ],
  [
    'an unbalanced template',
    { patterns: [{ match: 'p:{id', loader, ttlSeconds: 60 }] },
    /^cfg\.json: patterns\[0\]\.match: key has an unbalanced/,
  ],
  [
    'a pattern loader using a placeholder its match lacks',
    { patterns: [{ match: 'p:{id}', loader: { type: 'http', url: 'http://h/{name}' }, ttlSeconds: 60 }] },
    /patterns\[0\]\.loader\.url: url uses unknown placeholder \{name\}; allowed: \{id\}/,
  ],
  ['a key with whitespace', withTask({ cacheKey: 'a b' }), /tasks\[0\]\.cacheKey: must not contain whitespace/],
  [
    'a key with a control character',
    withTask({ cacheKey: 'a\u0000b' }),
    /tasks\[0\]\.cacheKey: must not contain control characters/,
  ],
  [
    'duplicate task ids',
    { tasks: [task, { ...task, cacheKey: 'other' }] },
    /^cfg\.json: tasks\[1\]\.taskId: "catalog" is a duplicate of tasks\[0\]/,
  ],
  [
    'two tasks on one key',
    { tasks: [task, { ...task, taskId: 'other' }] },
    /^cfg\.json: tasks\[1\]\.cacheKey: "catalog:products" is already owned by tasks\[0\]/,
  ],
  ['an unknown field (a typo)', withTask({ ttlSecond: 60 }), /^cfg\.json: tasks\[0\]\.ttlSecond: unknown field$/],
  ['an unknown top-level section', { tasks: [], optimiser: {} }, /^cfg\.json: optimiser: unknown field$/],
  [
    'forms without {formId} in the key',
    { userPreload: { forms: { list: loader, item: loader, key: 'form:x', ttlSeconds: 5 } } },
    /userPreload\.forms\.key: key must contain \{formId\}/,
  ],
  ['an array at the top', [task], /^cfg\.json: the config must be an object/],
])('refuses %s with one line naming the field', (_what, config, message) => {
  const error = catchError(() => parseConfigText(JSON.stringify(config), 'cfg.json'));
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).toMatch(message);
  expect(error.message).not.toMatch(/\n/);
});

test.each([
  ['truncated JSON', 'cfg.json', '{"tasks": [{"taskId": "a"', /^cfg\.json: not valid JSON: /],
  ['an empty file', 'cfg.json', '', /^cfg\.json: not valid JSON: /],
  ['broken YAML', 'cfg.yaml', 'tasks:\n  - taskId: [a\n', /^cfg\.yaml: not valid YAML: /],
  ['a YAML scalar', 'cfg.yml', 'just text', /^cfg\.yml: the config must be an object/],
])('refuses %s with one line naming the file', (_what, source, text, message) => {
  const error = catchError(() => parseConfigText(text, source));
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).toMatch(message);
  expect(error.message).not.toMatch(/\n/);
});

test('a header value may be the name of a worker environment variable instead of the value', () => {
  const headers = { Authorization: { env: 'ORIGIN_TOKEN' }, 'X-Client': 'warmer' };
  const config = parseConfigText(JSON.stringify(withTask({ loader: { ...loader, headers } })), 'cfg.json');
  expect(config.tasks[0]?.loader).toEqual({ ...loader, headers });
});

test('a message quoting a huge or multi-line value stays one short line', () => {
  const url = `http://h/${'x'.repeat(5_000)}\n{nope}`;
  const error = catchError(() =>
    parseConfigText(JSON.stringify(withTask({ loader: { type: 'http', url } })), 'c.json'),
  );
  expect(error.message).not.toMatch(/\n/);
  expect(error.message.length).toBeLessThan(500);
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected it to throw');
}

// Property-based tests of the config validator: whatever JSON comes in, the only failure is a
// ConfigError with one line naming a field that is really there (or missing there); valid configs
// round-trip; a single broken field is the one the message names.
import fc from 'fast-check';
import { ConfigError, parseWarmingConfig, type WarmingConfigInput } from '../../core/config-schema';

const TASK_FIELDS = [
  'taskId',
  'name',
  'cacheKey',
  'loader',
  'ttlSeconds',
  'tags',
  'priority',
  'critical',
  'intervalMinutes',
  'adaptive',
];
const LOADER_FIELDS = ['type', 'url', 'headers', 'timeoutSeconds', 'name', 'args'];

// --- Valid configs -----------------------------------------------------------------------------

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const tag = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,15}$/);
const literal = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const httpUrl = (placeholders: readonly string[]) =>
  fc
    .tuple(
      fc.array(fc.oneof(literal, ...placeholders.map((p) => fc.constant(`{${p}}`))), { maxLength: 4 }),
      fc.boolean(),
    )
    .map(([segments, https]) => `${https ? 'https' : 'http'}://origin.example:8080/${segments.join('/')}`);

const loader = (placeholders: readonly string[]) =>
  fc.oneof(
    fc.record(
      {
        type: fc.constant('http' as const),
        url: httpUrl(placeholders),
        headers: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), fc.string({ maxLength: 20 }), {
          maxKeys: 3,
        }),
        timeoutSeconds: fc.integer({ min: 1, max: 600 }),
      },
      { requiredKeys: ['type', 'url'] },
    ),
    fc.record(
      {
        type: fc.constant('custom' as const),
        name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/),
        // As JSON would carry them (no -0): the round-trip below compares through JSON.
        args: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }).map(asJson), { maxKeys: 3 }),
        timeoutSeconds: fc.double({ min: 0.5, max: 600, noNaN: true }),
      },
      { requiredKeys: ['type', 'name'] },
    ),
  );

const task = fc.record(
  {
    taskId: identifier,
    name: fc.string({ minLength: 1, maxLength: 30 }),
    cacheKey: fc.stringMatching(/^[A-Za-z0-9:_.-]{1,30}$/),
    loader: loader([]),
    ttlSeconds: fc.integer({ min: 1, max: 10 * 365 * 24 * 3600 }),
    tags: fc.uniqueArray(tag, { maxLength: 4 }),
    priority: fc.integer({ min: 0, max: 1000 }),
    critical: fc.boolean(),
    intervalMinutes: fc.double({ min: 0.01, max: 7 * 24 * 60, noNaN: true }),
    adaptive: fc.boolean(),
  },
  { requiredKeys: ['taskId', 'cacheKey', 'loader', 'ttlSeconds'] },
);

const pattern = fc.tuple(literal, fc.constantFrom('id', 'key', 'name')).chain(([head, field]) =>
  fc.record(
    {
      match: fc.constant(`${head}:{${field}}`),
      loader: loader([field]),
      ttlSeconds: fc.integer({ min: 1, max: 86_400 }),
      tags: fc.uniqueArray(tag, { maxLength: 2 }),
      priority: fc.integer({ min: 0, max: 1000 }),
    },
    { requiredKeys: ['match', 'loader', 'ttlSeconds'] },
  ),
);

// Each source under its own literal head: keys that can collide for some user id are refused.
const userSource = (head: string) =>
  fc.record({
    loader: loader(['userId']),
    key: literal.map((l) => `${head}:{userId}:${l}`),
    ttlSeconds: fc.integer({ min: 1, max: 86_400 }),
  });

const userPreload = fc.record(
  {
    session: userSource('session'),
    navigation: userSource('navigation'),
    forms: fc.record(
      {
        list: loader(['userId']),
        item: loader(['userId', 'formId']),
        key: fc.constant('form:{formId}'),
        max: fc.integer({ min: 1, max: 100 }),
        ttlSeconds: fc.integer({ min: 1, max: 86_400 }),
      },
      { requiredKeys: ['list', 'item', 'key', 'ttlSeconds'] },
    ),
    skipIfWarmedWithinMinutes: fc.double({ min: 0, max: 24 * 60, noNaN: true }),
    idleMinutes: fc.double({ min: 0.05, max: 7 * 24 * 60, noNaN: true }),
  },
  { requiredKeys: [] },
);

const optimizer = fc.record(
  {
    everyMinutes: fc.double({ min: 0.01, max: 24 * 60, noNaN: true }),
    windowMinutes: fc.integer({ min: 1, max: 24 * 60 }),
    patternWarming: fc.boolean(),
    criticalWarming: fc.boolean(),
    topN: fc.integer({ min: 0, max: 100_000 }),
    minAccessFrequency: fc.double({ min: 0, max: 1000, noNaN: true }),
    rules: fc
      .uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 4 })
      .map((frequencies) =>
        [...frequencies].sort((a, b) => b - a).map((f, i) => ({ aboveFrequency: f, intervalMinutes: 10 * (i + 1) })),
      ),
    coldIntervalMinutes: fc.double({ min: 0.01, max: 7 * 24 * 60, noNaN: true }),
  },
  { requiredKeys: [] },
);

const validConfig: fc.Arbitrary<WarmingConfigInput> = fc.record(
  {
    tasks: fc
      .uniqueArray(task, { maxLength: 5, selector: (t) => t.taskId })
      .filter((tasks) => new Set(tasks.map((t) => t.cacheKey)).size === tasks.length),
    patterns: fc.array(pattern, { maxLength: 3 }),
    userPreload,
    optimizer,
  },
  { requiredKeys: [] },
);

// --- Paths -------------------------------------------------------------------------------------

/** `tasks[0].loader["x y"]` → ['tasks', 0, 'loader', 'x y']. */
function parsePath(text: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const re = /^(?:\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = text;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new Error(`not a path: ${text}`);
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(JSON.parse(m[3] as string) as string);
    rest = rest.slice(m[0].length);
  }
  return parts;
}

/** Whether every step but the last exists in `value` (the last may be the missing field). */
function pathExists(value: unknown, path: readonly (string | number)[]): boolean {
  let current = value;
  for (const part of path.slice(0, -1)) {
    if (typeof current !== 'object' || current === null) return false;
    if (!Object.prototype.hasOwnProperty.call(current, part)) return false;
    current = (current as Record<string | number, unknown>)[part];
  }
  return typeof current === 'object' && current !== null;
}

/** The config error's message, or undefined when the input is valid; anything else thrown fails. */
function errorOf(input: unknown): string | undefined {
  try {
    parseWarmingConfig(input);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
}

/** The field path a message starts with (`tasks[1].ttlSeconds: ...`). */
function namedPath(message: string): (string | number)[] | undefined {
  const m =
    /^((?:[A-Za-z_$][\w$]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])(?:\.[A-Za-z_$][\w$]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*): /.exec(
      message,
    );
  return m ? parsePath(m[1] as string) : undefined;
}

function expectOneLine(message: string) {
  expect(message.length).toBeGreaterThan(0);
  expect(message).not.toMatch(/[\r\n\u2028\u2029]/);
}

// --- Properties --------------------------------------------------------------------------------

/** JSON shaped roughly like a config, with real field names, so validation goes deep. */
const configShaped = fc.record(
  {
    tasks: fc.oneof(
      fc.array(
        fc.dictionary(
          fc.oneof(fc.constantFrom(...TASK_FIELDS), fc.string({ maxLength: 6 })),
          fc.oneof(
            fc.jsonValue({ maxDepth: 1 }),
            fc.dictionary(
              fc.oneof(fc.constantFrom(...LOADER_FIELDS), fc.string({ maxLength: 6 })),
              fc.jsonValue({ maxDepth: 1 }),
            ),
          ),
        ),
        { maxLength: 3 },
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    patterns: fc.jsonValue({ maxDepth: 3 }),
    userPreload: fc.jsonValue({ maxDepth: 3 }),
    optimizer: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

test('any JSON is either a valid config or a ConfigError of one line naming a field that is there', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), configShaped, fc.dictionary(fc.string(), fc.jsonValue())), (input) => {
      const message = errorOf(input);
      if (message === undefined) return;
      expectOneLine(message);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        expect(message).toMatch(/expected object/);
        return;
      }
      const path = namedPath(message);
      expect(path).toBeDefined();
      expect(pathExists(input, path as (string | number)[])).toBe(true);
    }),
    { numRuns: 1_000 },
  );
});

test('a field whose name holds a line break or quote is still named on one line', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 10 }),
      fc.constantFrom('\n', '\r\n', '"', '\u2028', ' '),
      (name, odd) => {
        const key = `${name}${odd}`;
        const message = errorOf({ tasks: [], [key]: 1 }) as string;
        expectOneLine(message);
        expect(namedPath(message)).toEqual([key]);
        expect(message).toMatch(/unknown field$/);
      },
    ),
  );
});

test('generated valid configs are accepted and round-trip through JSON unchanged', () => {
  fc.assert(
    fc.property(validConfig, (input) => {
      const parsed = parseWarmingConfig(input);
      expect(parseWarmingConfig(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
      // What was given is kept; defaults only fill what was not.
      parsed.tasks.forEach((t, i) => {
        const given = input.tasks?.[i];
        expect(t).toMatchObject(given as object);
        expect(t.priority).toBe(given?.priority ?? 10);
        expect(t.intervalMinutes).toBe(given?.intervalMinutes ?? 60);
      });
      expect(parsed.patterns).toHaveLength(input.patterns?.length ?? 0);
    }),
    { numRuns: 300 },
  );
});

/** Every path into a JSON value (objects and arrays), for choosing what to break. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
}

function setAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string | number, unknown>;
  let current = copy;
  path.slice(0, -1).forEach((part) => (current = current[part] as Record<string | number, unknown>));
  current[path[path.length - 1] as string | number] = replacement;
  return copy;
}

function related(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n).every((part, i) => part === b[i]);
}

test('one broken field in a valid config is the field the message names (or its parent or child)', () => {
  const broken = validConfig.chain((config) => {
    const all = paths(config);
    return fc.tuple(
      fc.constant(config),
      all.length > 0 ? fc.constantFrom(...all) : fc.constant(['tasks'] as (string | number)[]),
      fc.jsonValue({ maxDepth: 2 }),
    );
  });
  fc.assert(
    fc.property(broken, ([config, path, replacement]) => {
      const message = errorOf(setAt(config, path, replacement));
      if (message === undefined) return; // the replacement happened to be valid there
      expectOneLine(message);
      const named = namedPath(message);
      expect(named).toBeDefined();
      const section = path.slice(0, 2);
      const explained =
        related(named as (string | number)[], path) ||
        // A key or id can collide with another task's: the later task is named.
        (/duplicate|already owned/.test(message) && named?.[0] === 'tasks') ||
        // A pattern's `match` decides which placeholders its loader may use.
        (path[0] === 'patterns' && path[2] === 'match' && related(named as (string | number)[], section));
      if (!explained) throw new Error(`broke ${JSON.stringify(path)} but the message says: ${message}`);
    }),
    { numRuns: 500 },
  );
});

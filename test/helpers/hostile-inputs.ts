// fast-check generators of what an outside sender can put in a signal, update, query or workflow
// start: text at and past Temporal's and the product's length limits, multibyte, control and format
// characters, template and glob syntax, prototype names, keys under the deployment's own prefix,
// wrong types, missing and extra fields, and huge arrays. Shared by the fuzz suite (test/fuzz).
import fc from 'fast-check';

/** Characters that make ids, keys, URLs, logs or one-line messages ambiguous. */
export const CONTROL_AND_FORMAT = [
  '\u0000',
  '\u0007',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ud800', // a lone surrogate: not UTF-8 encodable
  '\uffff',
];
/** Template, glob, path and quoting syntax. */
export const SYNTAX = [
  '{',
  '}',
  '{}',
  '{id}',
  '{userId}',
  '}{',
  '*',
  '?',
  '[',
  ']',
  '[a-z]',
  '\\',
  '%',
  '%2e',
  '.',
  '..',
  '/',
  ':',
  "'",
  '"',
  '`',
  '$',
  '#',
  '&',
];
/** Names that collide with JavaScript's object machinery. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
/** One character each, of 2, 3, 4 (astral) and several code units or bytes. */
export const MULTIBYTE = ['é', 'e\u0301', 'ß', 'İ', '\u0627', '界', '😀', '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}'];

/** Lengths around the limits that matter: Temporal ids (255 bytes), user ids (256), keys (1024), tags (64). */
const EDGE_LENGTHS = [63, 64, 65, 128, 200, 227, 229, 240, 250, 255, 256, 257, 300, 500, 501, 1024, 1025, 2049];

/** `unit` repeated to `length` UTF-16 code units (an astral unit counts two). */
function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.max(1, Math.ceil(length / unit.length))).slice(0, length);
}

/** Long text: ASCII, 2-, 3- and 4-byte characters at and past the limits' lengths (in characters). */
export const longText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...EDGE_LENGTHS), fc.constantFrom('a', 'é', '界', '😀', 'x{'))
  .map(([length, unit]) => (unit === '😀' ? '😀'.repeat(Math.ceil(length / 2)) : repeatTo(unit, length)));

/** Text a key, id or name should never be: keys under `prefix`, the default prefix's, and empty or blank. */
export function reservedText(prefix: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    '',
    ' ',
    `${prefix}config`,
    `${prefix}applied`,
    `${prefix}evil`,
    `${prefix}meta:{x}:x`,
    `${prefix}tag:fuzz`,
    `${prefix}{usage}:m:1`,
    'cw:config',
    'cw:evil',
    ...PROTOTYPE_NAMES,
  );
}

/** Short pieces joined: control, format, syntax, prototype names and multibyte characters among letters. */
export const mixedText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...CONTROL_AND_FORMAT, ...SYNTAX, ...PROTOTYPE_NAMES, ...MULTIBYTE),
      fc.stringMatching(/^[a-z0-9]{1,6}$/),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(''));

/** Any hostile text. `prefix` is the deployment's reserved Redis prefix. */
export function hostileText(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: longText, weight: 3 },
    { arbitrary: mixedText, weight: 3 },
    { arbitrary: reservedText(prefix), weight: 2 },
  );
}

/** Text with no whitespace or control characters: what passes the schemas' first checks, to reach the later ones. */
export function hostileKeyText(prefix: string): fc.Arbitrary<string> {
  return hostileText(prefix).map((text) => text.replace(/[\s\p{Cc}]/gu, '') || 'k');
}

/** Objects whose own keys are prototype names, as JSON.parse makes them (what a JSON sender produces). */
const prototypeObjects: fc.Arbitrary<unknown> = fc.constantFrom(
  ...[
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"toString":"not a function","valueOf":1}',
    '{"__proto__":null}',
  ].map((json) => JSON.parse(json) as unknown),
);

/** Nested arrays 300 deep: a recursive walk or a naive stringify of it should not be trusted. */
const deepValue = named(JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`) as unknown[], '[[[…300 deep…]]]');

/** `value`, shown in fast-check's reports by `name` instead of in full. */
function named<T extends object>(value: T, name: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => name, enumerable: false });
  return value;
}

/** Huge arrays, within Temporal's 2 MB payload limit: many short strings, many numbers, many objects. */
export const hugeArray: fc.Arbitrary<unknown[]> = fc.constantFrom(
  named(
    Array.from({ length: 20_000 }, (_, i) => `x${i}`),
    '[20 000 strings]',
  ),
  named(
    Array.from({ length: 50_000 }, (_, i) => i),
    '[50 000 numbers]',
  ),
  named(
    Array.from({ length: 5_000 }, (_, i) => ({ userId: `u${i}` })),
    '[5 000 objects]',
  ),
);

/** Values of the wrong type for any field: numbers at the edges, booleans, null, undefined, arrays, objects. */
export function wrongType(prefix: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(0, -1, 1.5, -0, 2 ** 53, -(2 ** 31), 1e308, Number.NaN, Number.POSITIVE_INFINITY),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(hostileText(prefix), { maxLength: 3 }),
    fc.dictionary(hostileText(prefix), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    prototypeObjects,
    fc.constant(deepValue),
    { arbitrary: hugeArray, weight: 1 },
  );
}

/** Any hostile value: hostile text or a value of the wrong type. */
export function hostileValue(prefix: string): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: hostileText(prefix), weight: 3 }, { arbitrary: wrongType(prefix), weight: 2 });
}

/** A field path into a payload: `['loader', 'url']` is `payload.loader.url`. */
export type FieldPath = readonly string[];

/** A payload and, when it came from a valid one by one change, the field changed (first path element first). */
export interface HostilePayload<T = unknown> {
  payload: T;
  /** The field that was set, removed or added; absent for a wholly hostile payload. */
  field?: FieldPath;
  change: 'set' | 'removed' | 'added' | 'whole';
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** `object` with `path` set to `value` (an own property even for `__proto__`), or removed when `remove`. */
export function withField(object: unknown, path: FieldPath, value: unknown, remove = false): unknown {
  const copy = clone(object) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) return copy;
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (remove) delete node[last];
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/**
 * Payloads one change away from `valid` (a field set to a hostile value, a field removed, an
 * unknown field added) and wholly hostile payloads. `fields` lists the paths worth changing.
 */
export function hostilePayload<T>(
  valid: T,
  fields: readonly FieldPath[],
  prefix: string,
  values: (path: FieldPath) => fc.Arbitrary<unknown> = () => hostileValue(prefix),
): fc.Arbitrary<HostilePayload> {
  const paths = fc.constantFrom(...fields);
  return fc.oneof(
    {
      weight: 4,
      arbitrary: paths.chain((path) =>
        values(path).map((value): HostilePayload => ({
          payload: withField(valid, path, value),
          field: path,
          change: 'set',
        })),
      ),
    },
    {
      weight: 2,
      arbitrary: paths.map((path): HostilePayload => ({
        payload: withField(valid, path, undefined, true),
        field: path,
        change: 'removed',
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('surprise', ...PROTOTYPE_NAMES), hostileValue(prefix))
        .map(([name, value]): HostilePayload => ({
          payload: withField(valid, [name], value),
          field: [name],
          change: 'added',
        })),
    },
    { weight: 2, arbitrary: hostileValue(prefix).map((payload): HostilePayload => ({ payload, change: 'whole' })) },
  );
}

/** Hostile user ids: every kind of hostile text, plus ids that are valid but long in bytes (the 250 ASCII, 200 CJK). */
export function hostileUserId(prefix: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileKeyText(prefix) },
    { weight: 2, arbitrary: fc.constantFrom('a'.repeat(250), '界'.repeat(200), 'é'.repeat(120), 'u'.repeat(235)) },
    { weight: 1, arbitrary: hostileText(prefix) },
    { weight: 1, arbitrary: wrongType(prefix) },
  );
}

/** Text for a failure message: one line (control and separator characters escaped), cut at `max`. */
export function clip(text: string, max = 300): string {
  const line = text.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A value as text for a failure message: JSON, with long strings and arrays cut. */
export function describeValue(value: unknown, max = 300): string {
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'string' && v.length > 40) return `${v.slice(0, 20)}…(${v.length} chars)`;
        if (Array.isArray(v) && v.length > 10) return [...v.slice(0, 3), `…(${v.length} items)`];
        return v;
      }) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * fast-check options for properties that run against the servers: a few runs of a batch each, and
 * shrinking bounded by `budgetMs` so a failure reports the smallest counterexample found by then.
 * `examples` run first, every time: the known hard cases, so a few random runs cannot miss them.
 * `CW_FUZZ_SEED` (and `CW_FUZZ_PATH`) replay a reported failure: its seed and path;
 * `CW_FUZZ_EXAMPLES=0` leaves the examples out, to explore past a known failure.
 */
export function serverFuzzOptions<T>(numRuns: number, budgetMs: number, examples: NoInfer<T>[] = []): fc.Parameters<T> {
  const seed = process.env.CW_FUZZ_SEED;
  const path = process.env.CW_FUZZ_PATH;
  return {
    numRuns,
    examples: process.env.CW_FUZZ_EXAMPLES === '0' ? [] : examples,
    includeErrorInReport: true,
    plugins: [fc.interruptAfterTimeLimit(budgetMs) as fc.Plugin<T>],
    ...(seed ? { seed: Number(seed) } : {}),
    ...(seed && path ? { path } : {}),
  };
}

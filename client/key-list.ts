// The key list `warmctl import` reads: one key a line, or a JSON line `{"key": "..."}`. Lines are
// parsed one at a time from a stream, so a large file is never held as one string; the whole list
// is read before anything starts, so an input that breaks off part way starts nothing.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { cacheKeyProblem } from '../core/cache-key';

/** One accepted key and the line it came from (1-based). */
export interface ListedKey {
  key: string;
  line: number;
}

/** A line refused, with the one-line reason. */
export interface RefusedLine {
  line: number;
  reason: string;
}

/** What reading a key list gave: the keys in input order, each once, and the lines refused. */
export interface KeyList {
  keys: ListedKey[];
  refused: RefusedLine[];
  /** Lines that held a key (blank lines are not counted). */
  read: number;
  /** Keys that repeated an earlier line: warmed once. */
  duplicates: number;
}

/** Keys one import takes at most: the list is held in memory while the bulk warms start. */
export const MAX_IMPORT_KEYS = 1_000_000;

/** The key a line names, or why it names none. `reservedPrefix` is the deployment's prefix. */
export function parseKeyLine(text: string, reservedPrefix: string): { key: string } | { reason: string } {
  let key: unknown = text;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { reason: 'not valid JSON (a JSON line is {"key": "..."})' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { reason: 'a JSON line must be an object {"key": "..."}' };
    const extra = Object.keys(parsed).find((field) => field !== 'key');
    if (extra !== undefined) return { reason: `unknown field ${JSON.stringify(extra)} (a JSON line has only "key")` };
    if (!('key' in parsed)) return { reason: 'a JSON line needs a "key"' };
    key = (parsed as { key: unknown }).key;
  }
  const problem = cacheKeyProblem(key, [reservedPrefix]);
  return problem ? { reason: problem } : { key: key as string };
}

/**
 * Reads every line of `input` (called `name` in messages). Blank lines are skipped; surrounding
 * spaces of a line are trimmed (a key holds none). Rejects with one line when the stream fails or
 * holds more than `maxKeys` keys.
 */
export async function readKeyList(
  input: Readable,
  reservedPrefix: string,
  options: { name?: string; maxKeys?: number } = {},
): Promise<KeyList> {
  const name = options.name ?? 'the key list';
  const maxKeys = options.maxKeys ?? MAX_IMPORT_KEYS;
  const list: KeyList = { keys: [], refused: [], read: 0, duplicates: 0 };
  const seen = new Set<string>();
  let line = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const failed = new Promise<never>((_, reject) =>
    input.once('error', (err) => reject(new Error(`cannot read ${name}: ${err.message}`, { cause: err }))),
  );
  failed.catch(() => undefined);
  const consume = async () => {
    for await (const raw of lines) {
      line++;
      const text = raw.trim();
      if (text === '') continue;
      list.read++;
      const parsed = parseKeyLine(text, reservedPrefix);
      if ('reason' in parsed) {
        list.refused.push({ line, reason: parsed.reason });
        continue;
      }
      if (seen.has(parsed.key)) {
        list.duplicates++;
        continue;
      }
      if (list.keys.length >= maxKeys)
        throw new Error(`${name} line ${line}: more than ${maxKeys} keys; split the list into several imports`);
      seen.add(parsed.key);
      list.keys.push({ key: parsed.key, line });
    }
  };
  try {
    await Promise.race([consume(), failed]);
  } finally {
    lines.close();
  }
  return list;
}

// The forms list a user-preload `forms.list` source returns, parsed and ranked: which forms are the
// `max` most recent. Pure, so it is unit-tested on its own; the preloadUser activity applies it.
import { z } from 'zod';
import { formatPath } from './config-error';

/** Longest form list accepted; longer ones are a broken origin, not a busy user. */
export const MAX_FORMS_LISTED = 10_000;

/** One form in the list: its id and, when the origin says, when it was last updated. */
export interface FormEntry {
  id: string;
  /** Milliseconds since the epoch. */
  updatedAtMs?: number;
}

const formId = z.union(
  [
    z
      .string()
      .min(1, 'must not be empty')
      .max(256, 'must be at most 256 characters')
      .refine((id) => !/[\s\p{Cc}]/u.test(id), 'must not contain whitespace or control characters'),
    z.number().int().nonnegative(),
  ],
  { error: 'must be a form id: a non-empty string or a non-negative integer' },
);

const updatedAt = z.union(
  [z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO-8601 date'), z.number().finite()],
  { error: 'must be an ISO-8601 date or milliseconds since the epoch' },
);

const formObject = z.looseObject({ id: formId, updatedAt: updatedAt.nullish() });

/**
 * Parses a forms list: a JSON array of form ids (strings or integers), or of objects with an `id`
 * and an optional `updatedAt` (ISO-8601 or epoch ms). Throws an Error naming the bad entry.
 */
export function parseFormsList(raw: unknown): FormEntry[] {
  if (!Array.isArray(raw)) return fail(` must be a JSON array of form ids or { id, updatedAt } objects`);
  if (raw.length > MAX_FORMS_LISTED) return fail(` has ${raw.length} entries, over the limit of ${MAX_FORMS_LISTED}`);
  return raw.map((entry: unknown, i): FormEntry => {
    const isObject = typeof entry === 'object' && entry !== null && !Array.isArray(entry);
    const parsed = isObject ? formObject.safeParse(entry) : formId.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(`${formatPath([i, ...(issue?.path ?? [])])}: ${issue?.message ?? 'invalid entry'}`);
    }
    if (typeof parsed.data === 'object') {
      const { id, updatedAt: at } = parsed.data;
      const updatedAtMs = typeof at === 'string' ? Date.parse(at) : (at ?? undefined);
      return updatedAtMs === undefined ? { id: String(id) } : { id: String(id), updatedAtMs };
    }
    return { id: String(parsed.data) };
  });
}

/**
 * The ids of the `max` most recent forms: entries with `updatedAtMs` first, newest first, then
 * entries without it in list order (ties keep list order too). A repeated id counts once, at its
 * most recent position.
 */
export function pickRecentForms(entries: readonly FormEntry[], max: number): string[] {
  const ranked = entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => {
      const at = a.entry.updatedAtMs;
      const bt = b.entry.updatedAtMs;
      if (at !== undefined && bt !== undefined && at !== bt) return bt - at;
      if (at !== undefined && bt === undefined) return -1;
      if (at === undefined && bt !== undefined) return 1;
      return a.index - b.index;
    });
  const picked: string[] = [];
  for (const { entry } of ranked) {
    if (picked.length >= max) break;
    if (!picked.includes(entry.id)) picked.push(entry.id);
  }
  return picked;
}

function fail(problem: string): never {
  // `problem` starts with a space or with a path such as `[3].id`.
  throw new Error(`forms list${problem}`);
}

// The one-line error for invalid outside input: ConfigError, and how a zod error becomes one line
// naming the field. No zod at run time (types only), so modules that only format paths load none.
import type { z } from 'zod';
import { oneLine } from './one-line';

/** Thrown for invalid outside input; the message is one line naming the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `tasks[0].loader.url` from a zod issue path; a key that is not an identifier is quoted: `headers["X Y"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(clip(String(part), 64))}]`;
  }
  return out;
}

/** One line for a zod error: the first issue with its field, and how many more there are. */
export function formatZodError(error: z.ZodError, root?: string): string {
  const [first, ...rest] = error.issues;
  if (!first) return 'invalid input';
  let issuePath: PropertyKey[] = [...(root ? [root] : []), ...first.path];
  let message = first.message;
  if (first.code === 'unrecognized_keys' && first.keys.length > 0) {
    // Point at the unknown field itself: a typo never silently does nothing.
    const [key, ...others] = first.keys;
    issuePath = [...issuePath, key as string];
    message = `unknown field${others.length > 0 ? ` (and ${others.length} more unknown)` : ''}`;
  }
  const path = formatPath(issuePath);
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
  return oneLine(`${path ? `${path}: ` : ''}${clip(message, 300)}${more}`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

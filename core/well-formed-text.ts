// Strings that cannot be UTF-8: a lone surrogate (an unpaired UTF-16 half, which JSON's \ud800
// escape can carry) has no UTF-8 form, so Temporal cannot take it in an id, and a worker asked to
// start a workflow with one fails its whole completion. Refused where outside text comes in.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `text` is well-formed Unicode (no lone surrogate), so it has a UTF-8 form. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * The path of the first string in `value` (a key or a value, at any depth) that is not well-formed,
 * as path parts, or undefined when every string is. Cycles are not followed.
 */
export function illFormedTextPath(value: unknown, seen = new Set<object>()): PropertyKey[] | undefined {
  if (typeof value === 'string') return isWellFormedText(value) ? undefined : [];
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const entries: [PropertyKey, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    if (typeof key === 'string' && !isWellFormedText(key)) return [key];
    const inner = illFormedTextPath(item, seen);
    if (inner) return [key, ...inner];
  }
  return undefined;
}

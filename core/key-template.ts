// Key and URL templates such as `product:{id}` or `http://origin/users/{userId}`: pure, so workflows may use them.

const FIELD = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names a template uses, in order of first appearance. */
export function templateFields(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(FIELD)) {
    const name = match[1] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** A problem with a template, or undefined when only `allowed` placeholders appear and braces balance. */
export function templateProblem(template: string, allowed: readonly string[]): string | undefined {
  const stripped = template.replace(FIELD, '');
  if (stripped.includes('{') || stripped.includes('}')) {
    return `has an unbalanced or malformed placeholder (use {name})`;
  }
  const unknown = templateFields(template).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    const hint =
      allowed.length > 0 ? `; allowed: ${allowed.map((a) => `{${a}}`).join(', ')}` : '; none are allowed here';
    return `uses unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')}${hint}`;
  }
  return undefined;
}

/**
 * Replaces every `{name}` with `vars[name]`, passed through `encode` (identity for keys,
 * `encodeURIComponent` for URLs). Throws when a placeholder has no value.
 */
export function expandTemplate(
  template: string,
  vars: Readonly<Record<string, string>>,
  encode: (value: string) => string = (value) => value,
): string {
  return template.replace(FIELD, (_whole, name: string) => {
    const value = vars[name];
    if (value === undefined || value === '') throw new Error(`template ${template} needs a value for {${name}}`);
    return encode(value);
  });
}

/**
 * Expands a URL template, percent-encoding every value so it cannot change the URL's shape.
 * Throws when a value would make a whole path segment `.` or `..`: encoding keeps `/`, `?` and
 * `#` out, but the URL parser resolves dot segments, which would walk up the origin's path.
 */
export function expandUrlTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  const url = expandTemplate(template, vars, encodeURIComponent);
  // Values cannot add '/', '?' or '#' (they are encoded), so the segments line up one to one.
  const pathOf = (text: string) => (text.split(/[?#]/, 1)[0] as string).split('/');
  const templateSegments = pathOf(template);
  pathOf(url).forEach((segment, i) => {
    if (templateSegments[i]?.includes('{') && /^(?:\.|%2e){1,2}$/i.test(segment)) {
      throw new Error(`template ${template}: a value would make the path segment "${segment}"`);
    }
  });
  return url;
}

/**
 * Matches a concrete key against a pattern such as `product:{id}`; returns the captured values,
 * or undefined when the key does not match. A value never spans a `:` and is never empty.
 */
export function matchTemplate(template: string, key: string): Record<string, string> | undefined {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const match of template.matchAll(FIELD)) {
    source += escapeRegExp(template.slice(last, match.index));
    source += '([^:]+)';
    names.push(match[1] as string);
    last = (match.index ?? 0) + match[0].length;
  }
  source += escapeRegExp(template.slice(last));
  const found = new RegExp(`^${source}$`).exec(key);
  if (!found) return undefined;
  const vars: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const value = found[i + 1] as string;
    if (vars[name] !== undefined && vars[name] !== value) return undefined;
    vars[name] = value;
  }
  return vars;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether two key templates can expand to the same key for some values (a placeholder stands for
 * any non-empty text): `u:{userId}` and `u:{userId}:f:{formId}` can (user `a:f:1`), while
 * `user:{userId}:session` and `user:{userId}:navigation` cannot, whatever the values. Exact: a
 * search over both templates at once, where a placeholder may take one character or more.
 */
export function templatesCanCollide(a: string, b: string): boolean {
  const x = templateTokens(a);
  const y = templateTokens(b);
  // A state [i, j]: the first i tokens of x and the first j of y can spell the same text.
  const seen = new Set<string>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    const id = `${i},${j}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (i === x.length && j === y.length) return true;
    const p = x[i];
    const q = y[j];
    // A placeholder is "any one character, then any more": ANY followed by STAR.
    if (p === STAR) stack.push([i + 1, j]);
    if (q === STAR) stack.push([i, j + 1]);
    if (p !== undefined && q !== undefined) {
      if (p === STAR && q === STAR) stack.push([i + 1, j], [i, j + 1]);
      else if (p === STAR) stack.push([i, j + 1]);
      else if (q === STAR) stack.push([i + 1, j]);
      else if (p === ANY || q === ANY || p === q) stack.push([i + 1, j + 1]);
    }
  }
  return false;
}

const ANY = Symbol('any character');
const STAR = Symbol('any characters');

/** A template as characters, each placeholder as ANY then STAR. */
function templateTokens(template: string): (string | typeof ANY | typeof STAR)[] {
  const tokens: (string | typeof ANY | typeof STAR)[] = [];
  let last = 0;
  for (const match of template.matchAll(FIELD)) {
    tokens.push(...template.slice(last, match.index), ANY, STAR);
    last = (match.index ?? 0) + match[0].length;
  }
  tokens.push(...template.slice(last));
  return tokens;
}

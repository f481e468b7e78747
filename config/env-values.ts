// Reading single environment variables the same way everywhere: a set-but-empty value is an error
// naming the variable, booleans are 1/true/yes or 0/false/no.

/** A positive integer from the environment, or the default. */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return value;
}

/** The trimmed value, undefined when unset; set but blank is an error naming the variable. */
export function nonEmpty(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new Error(`${name} is set but empty`);
  return value.trim();
}

/** An on/off variable: 1/true/yes or 0/false/no; unset or empty is off. */
export function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '') return false;
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw new Error(`${name} must be 1/true/yes or 0/false/no (got "${value}")`);
}

/** `{ [key]: value }`, or `{}` when the value is undefined, so an unset setting leaves its field out. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// warmctl's argument parsers: each checks one kind of value and says what a valid one looks like
// (commander prints the message as a usage error, exit 2).
import { InvalidArgumentError } from 'commander';
import { loaderSchema } from '../core/config-schema';
import { parseDurationMs } from '../core/durations';
import { userIdProblem } from '../core/user-login';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function taskIdArg(value: string): string {
  if (!TASK_ID.test(value))
    throw new InvalidArgumentError('a task id is 1-128 letters, digits, . _ - (starting with a letter or digit)');
  return value;
}

export function tagArg(value: string): string {
  if (!TAG.test(value))
    throw new InvalidArgumentError('a tag is 1-64 letters, digits, . _ : - (starting with a letter or digit)');
  return value;
}

export function userIdArg(value: string): string {
  const problem = userIdProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function durationArg(value: string): number {
  try {
    return parseDurationMs(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** The longest `--since` window: far beyond any namespace's retention, and still a valid date. */
const MAX_WINDOW_MS = 3650 * 86_400_000;

export function windowArg(value: string): number {
  const ms = durationArg(value);
  if (ms > MAX_WINDOW_MS) throw new InvalidArgumentError('a window is at most 3650d');
  return ms;
}

export function htmlFileArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('needs a file name');
  return value;
}

export function fileArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('needs a file name, or - for stdin');
  return value;
}

export function loaderArg(value: string): string {
  if (!loaderSchema([]).safeParse({ type: 'custom', name: value }).success)
    throw new InvalidArgumentError('a loader name is an identifier such as loadCatalog (letters, digits, _ . -)');
  return value;
}

/** The longest TTL a value may have, as the config allows: 10 years. */
const MAX_TTL_MS = 3650 * 86_400_000;

export function ttlArg(value: string): number {
  const ms = durationArg(value);
  if (ms < 1000 || ms % 1000 !== 0 || ms > MAX_TTL_MS)
    throw new InvalidArgumentError('a TTL is whole seconds from 1s to 3650d');
  return ms;
}

export function collectTags(value: string, previous: string[]): string[] {
  return [...previous, tagArg(value)];
}

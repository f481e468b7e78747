// What every warmctl action shares: the global options it runs with, the warming client it opens
// and closes, a progress line, JSON output and the usage error (exit 2).
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redact } from '../core/redact';
import { oneLine } from '../core/one-line';
import { ConflictingFlagsError, environmentWithFlags } from './connection-flags';
import { createProgress } from './progress';
import { createWarmingClient, type WarmingClient } from '../client/warming-client';

/** A usage error: exit code 2. */
export class UsageError extends Error {}

export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** What every action needs from the global options: output format and the effective environment. */
export interface Context {
  json: boolean;
  env: NodeJS.ProcessEnv;
}

export function contextOf(command: Command): Context {
  const globals = command.optsWithGlobals<Record<string, unknown>>();
  let env: NodeJS.ProcessEnv;
  try {
    env = environmentWithFlags(globals);
  } catch (err) {
    if (err instanceof ConflictingFlagsError) throw new UsageError(err.message);
    throw err;
  }
  return { json: globals.json === true || globals.output === 'json', env };
}

export async function withClient<T>(context: Context, fn: (client: WarmingClient) => Promise<T>): Promise<T> {
  const client = await createWarmingClient({
    env: context.env,
    logger: { warn: (message) => process.stderr.write(`warmctl: warning: ${redact(oneLine(message))}\n`) },
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Runs `fn` with a progress line on stderr (a terminal only) that it clears afterwards. */
export async function withProgress<T>(
  label: string,
  fn: (onProgress: (done: number, total: number) => void) => Promise<T>,
) {
  const progress = createProgress(label);
  try {
    return await fn((done, total) => progress.update(done, total));
  } finally {
    progress.end();
  }
}

/** package.json's version: beside dist/ when built, or the source tree's. */
export function packageVersion(): string {
  for (const dir of [resolve(__dirname, '..', '..'), resolve(__dirname, '..')]) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'temporal-cache-warmer' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

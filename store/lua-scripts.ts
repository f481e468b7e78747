// Loads the named Lua scripts in store/lua once and registers them as ioredis commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';

/** Script names, each `store/lua/<name>.lua`, with how many KEYS it takes. */
const SCRIPTS = {
  'write-if-newer': 2,
  'invalidate-key': 2,
  'record-reads': 1,
  'release-lock': 1,
  'server-time': 1,
  'acquire-lock': 1,
  'renew-lock': 1,
  'update-applied': 2,
  'claim-load': 2,
  'origin-budget': 3,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<ScriptName, string>();

/** Where the .lua files are: beside this module in the source tree, or copied beside the build. */
function luaDir(): string {
  return join(__dirname, 'lua');
}

function source(name: ScriptName): string {
  let text = sources.get(name);
  if (text === undefined) {
    text = readFileSync(join(luaDir(), `${name}.lua`), 'utf8');
    sources.set(name, text);
  }
  return text;
}

/** ioredis command name for a script: `cw_write_if_newer`. */
export function commandName(name: ScriptName): string {
  return `cw_${name.replace(/-/g, '_')}`;
}

/** Registers every script on the connection (idempotent); ioredis then calls them by EVALSHA. */
export function defineScripts(redis: Redis | Cluster): void {
  for (const [name, numberOfKeys] of Object.entries(SCRIPTS) as [ScriptName, number][]) {
    const command = commandName(name);
    if (typeof (redis as unknown as Record<string, unknown>)[command] === 'function') continue;
    redis.defineCommand(command, { numberOfKeys, lua: source(name) });
  }
}

/** Calls a registered script by name. */
export function callScript(
  redis: Redis | Cluster,
  name: ScriptName,
  keys: string[],
  args: (string | number | Buffer)[],
): Promise<unknown> {
  const fn = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[commandName(name)];
  if (!fn) throw new Error(`Lua script ${name} is not defined on this connection; call defineScripts first`);
  return fn.call(redis, ...keys, ...args);
}

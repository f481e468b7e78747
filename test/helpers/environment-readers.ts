// Which environment variables the deployment files set that no code reads: a typo or a renamed
// variable in docker-compose.yml or a Kubernetes manifest would otherwise be silently ignored.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Read by Node.js itself, not by this project's code. */
const NODE_VARIABLES = ['NODE_OPTIONS'];

/**
 * The names in `names` that no code reads. A name counts as read when it appears as a string
 * literal or `env.NAME` in the environment code (config/) or the worker's entry script and the
 * module it reads the environment through (worker/worker-from-environment.ts; comments do not
 * count), or, for Temporal's own settings, in the @temporalio/envconfig library config/environment.ts hands the
 * environment to.
 */
export function unreadVariables(names: string[]): string[] {
  const workerSource = [
    'config/environment.ts',
    'config/redis-connection.ts',
    'config/env-values.ts',
    'worker/main.ts',
    'worker/worker-from-environment.ts',
  ]
    .map(read)
    .join('\n');
  const envconfigSource = ['envconfig.js', 'envconfig-toml.js']
    .map((file) => join(ROOT, 'node_modules/@temporalio/envconfig/lib', file))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  const readsAsCode = (source: string, name: string) =>
    new RegExp(`(?:\\benv\\.${name}\\b|\\[\\s*['"]${name}['"]\\s*\\]|['"]${name}['"])`).test(source);
  return names.filter(
    (name) =>
      !NODE_VARIABLES.includes(name) &&
      !readsAsCode(workerSource, name) &&
      !(name.startsWith('TEMPORAL_') && readsAsCode(envconfigSource, name)),
  );
}

// The dynamic config of the project's own Temporal deployment (docker-compose.yml's server,
// deploy/temporal/dynamicconfig/development-sql.yaml): every dev server this project starts (the
// demo, the tests, the benchmarks, history capture) runs with its global values, so what is
// measured and tested is what the deployment runs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from './project-root';

export const DEPLOYMENT_DYNAMIC_CONFIG_FILE = resolve(
  PROJECT_ROOT,
  'deploy/temporal/dynamicconfig/development-sql.yaml',
);

export type DynamicValue = string | number | boolean;

/** The global values (no constraints) of a Temporal dynamic config YAML file. */
export function globalDynamicConfig(yamlText: string): Record<string, DynamicValue> {
  const parsed = parse(yamlText) as Record<string, { value: unknown; constraints?: Record<string, unknown> }[]> | null;
  const values: Record<string, DynamicValue> = {};
  for (const [key, entries] of Object.entries(parsed ?? {})) {
    const global = entries.find((entry) => Object.keys(entry.constraints ?? {}).length === 0);
    const value = global?.value;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = value;
  }
  return values;
}

/** The deployment's global dynamic config values. */
export function deploymentDynamicConfig(): Record<string, DynamicValue> {
  return globalDynamicConfig(readFileSync(DEPLOYMENT_DYNAMIC_CONFIG_FILE, 'utf8'));
}

// The Temporal limits the server tests run under: those of the project's own deployment, so a test
// passes only if production would accept the same commands. Global setup starts the dev server with them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/** The dynamic config of docker-compose.yml's Temporal server (a deployment of this project). */
export const DEPLOYMENT_DYNAMIC_CONFIG_FILE = resolve(
  __dirname,
  '../../deploy/temporal/dynamicconfig/development-sql.yaml',
);

type DynamicValue = string | number | boolean;

/**
 * Temporal server 1.29.1's defaults for the limits a workflow can run into with outside input
 * (common/dynamicconfig/constants.go). The dev server (CLI 1.5.1) keeps them, so these equal what
 * it would use anyway; they are pinned so that a dev server with other defaults cannot make the
 * tests laxer than production, and so the tests say which limits they hold the product to.
 * `limit.userMetadataSummarySize` (400 bytes) and `limit.userMetadataDetailsSize` (20 000) are
 * declared by 1.29.1 but not enforced by it, so setting them here would change nothing: the fuzz
 * suite checks static summaries against USER_METADATA_SUMMARY_BYTES itself.
 */
export const TEMPORAL_DEFAULT_LIMITS: Readonly<Record<string, number>> = {
  /** Bytes of one payload (an input, a signal, a result, a carried state): refused above. */
  'limit.blobSize.error': 2 * 1024 * 1024,
  /** Bytes of one payload: logged as a warning above. */
  'limit.blobSize.warn': 512 * 1024,
  /** Bytes of one workflow run's history: the run is terminated above. */
  'limit.historySize.error': 50 * 1024 * 1024,
  /** Events of one workflow run's history: the run is terminated above. */
  'limit.historyCount.error': 50 * 1024,
  /** Bytes of one search attribute value (a keyword such as WarmCacheKey). */
  'frontend.searchAttributesSizeOfValueLimit': 2 * 1024,
  /** Bytes of all of a workflow's search attributes together. */
  'frontend.searchAttributesTotalSizeLimit': 40 * 1024,
};

/** `limit.userMetadataSummarySize`'s default: what a server that enforces it lets a summary hold. */
export const USER_METADATA_SUMMARY_BYTES = 400;

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

/**
 * What the tests' dev server is started with: Temporal's default limits, then every global value
 * of the compose deployment's dynamic config (`limit.maxIDLength: 255` among them) over them.
 */
export function productionDynamicConfig(): Record<string, DynamicValue> {
  return {
    ...TEMPORAL_DEFAULT_LIMITS,
    ...globalDynamicConfig(readFileSync(DEPLOYMENT_DYNAMIC_CONFIG_FILE, 'utf8')),
  };
}

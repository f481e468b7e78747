// The Temporal limits the server tests run under: those of the project's own deployment, so a test
// passes only if production would accept the same commands. Global setup starts the dev server with them.
import { deploymentDynamicConfig, type DynamicValue } from '../../scripts/deployment-dynamic-config';

export { DEPLOYMENT_DYNAMIC_CONFIG_FILE, globalDynamicConfig } from '../../scripts/deployment-dynamic-config';

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

/**
 * What the tests' dev server is started with: Temporal's default limits, then every global value
 * of the compose deployment's dynamic config (`limit.maxIDLength: 255` among them) over them.
 */
export function productionDynamicConfig(): Record<string, DynamicValue> {
  return {
    ...TEMPORAL_DEFAULT_LIMITS,
    ...deploymentDynamicConfig(),
  };
}

// The config `warmctl apply` stored, as the optimiser's activities read it: parsed with the
// config schema at each use, so a re-applied config takes effect at the next cycle.
import { ApplicationFailure } from '@temporalio/common';
import { parseWarmingConfig, type WarmingConfig } from '../core/config-schema';
import { redact } from '../core/redact';
import { readAppliedConfigText } from '../store/applied-config';
import { FailureTypes } from './loaders';
import type { OptimizerActivityDeps } from './optimizer-activity-deps';

/** The applied config, or undefined when none was applied; an unreadable one fails without retry. */
export async function readAppliedWarmingConfig({
  redis,
  keys,
}: Pick<OptimizerActivityDeps, 'redis' | 'keys'>): Promise<WarmingConfig | undefined> {
  const text = await readAppliedConfigText(redis, keys);
  if (text === null) return undefined;
  try {
    return parseWarmingConfig(JSON.parse(text));
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      // JSON.parse quotes a snippet of the text, which may hold a loader URL's token.
      `the applied config under ${keys.config()} is unreadable: ${redact((err as Error).message)}`,
      FailureTypes.badInput,
    );
  }
}

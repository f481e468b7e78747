// The applied `userPreload` section as the preload activities read it: parsed at each login, so a
// re-applied config takes effect at the next one; a missing or invalid section fails without retry.
import { ApplicationFailure } from '@temporalio/common';
import { formatZodError, userPreloadSchema, type UserPreloadSpec } from '../core/config-schema';
import { isWrongType } from '../store/redis-errors';
import type { AppliedConfigReader } from './user-preload-activity-deps';

/** The applied `userPreload` section (settings only: metadata, fine in workflow history). */
export interface UserPreloadSettings {
  preload: UserPreloadSpec;
  reservedPrefix: string;
}

export const UserPreloadFailureTypes = {
  notConfigured: 'UserPreloadNotConfigured',
  badConfig: 'UserPreloadBadConfig',
} as const;

/** The `userPreload` section of the applied config; fails without retry when there is none. */
export async function readUserPreloadSettings(
  appliedConfig: AppliedConfigReader | undefined,
): Promise<UserPreloadSettings> {
  if (!appliedConfig) {
    throw ApplicationFailure.nonRetryable(
      'this worker was built without access to the applied config, so user preload is off',
      UserPreloadFailureTypes.notConfigured,
    );
  }
  // Stray data of another type where the config belongs is no config (the next apply replaces it).
  const text = await appliedConfig.readAppliedConfig().catch((err: unknown) => {
    if (isWrongType(err)) return null;
    throw err;
  });
  if (text === null) {
    throw ApplicationFailure.nonRetryable(
      'no config has been applied: run `warmctl apply` with a userPreload section',
      UserPreloadFailureTypes.notConfigured,
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw ApplicationFailure.nonRetryable('the applied config is not valid JSON', UserPreloadFailureTypes.badConfig);
  }
  const section =
    typeof config === 'object' && config !== null ? (config as Record<string, unknown>).userPreload : undefined;
  if (section === undefined) {
    throw ApplicationFailure.nonRetryable(
      'the applied config has no userPreload section: add one and run `warmctl apply`',
      UserPreloadFailureTypes.notConfigured,
    );
  }
  const parsed = userPreloadSchema.safeParse(section);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `the applied config is invalid: ${formatZodError(parsed.error, 'userPreload')}`,
      UserPreloadFailureTypes.badConfig,
    );
  }
  return { preload: parsed.data, reservedPrefix: appliedConfig.reservedPrefix };
}

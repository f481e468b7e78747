// Activities of the user preload: reading the applied user-preload settings
// (user-preload-settings.ts), and preloading one login (session, navigation, the most recent
// forms) in one activity (preload-user-activity.ts). Built by a factory that receives its
// dependencies.
import type { PreloadUserInput } from './preload-user-input';
import { preloadUser, type PreloadUserActivityResult } from './preload-user-activity';
import type { UserPreloadActivityDeps } from './user-preload-activity-deps';
import { readUserPreloadSettings, type UserPreloadSettings } from './user-preload-settings';

export type { AppliedConfigReader, UserPreloadActivityDeps } from './user-preload-activity-deps';
export { UserPreloadFailureTypes, type UserPreloadSettings } from './user-preload-settings';
export { preloadUserInputProblem, type PreloadUserInput } from './preload-user-input';
export { describeLoadFailure, isRetryableFailure } from './load-failure';
export { FRESH_MS, type AppliedPreloadTimes, type PreloadUserActivityResult } from './preload-user-activity';

export function createUserPreloadActivities(deps: UserPreloadActivityDeps) {
  return {
    /** The `userPreload` section of the applied config; fails without retry when there is none. */
    readUserPreloadSettings(): Promise<UserPreloadSettings> {
      return readUserPreloadSettings(deps.appliedConfig);
    },

    /** One login's preload (preload-user-activity.ts): metadata only; fails only on cancellation or bad input. */
    preloadUser(input: PreloadUserInput): Promise<PreloadUserActivityResult> {
      return preloadUser(deps, input);
    },
  };
}

export type UserPreloadActivities = ReturnType<typeof createUserPreloadActivities>;

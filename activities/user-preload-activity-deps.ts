// What the user-preload activities are built from: the loaders, the cache store they write to,
// where the applied config is read, and the prefix no preload may write under.
import type { CacheStore } from '../store/cache-store';
import type { Loaders } from './loaders';

/** Where the config `warmctl apply` stored is read from (Redis key `<prefix>config` in the worker). */
export interface AppliedConfigReader {
  /** The applied config as JSON, or null when none was applied. */
  readAppliedConfig(): Promise<string | null>;
  /** Everything under this prefix belongs to the system; preloads never write there. */
  readonly reservedPrefix: string;
}

export interface UserPreloadActivityDeps {
  loaders: Loaders;
  /** Where preloadUser writes; without it, preloadUser fails saying the worker was built without one. */
  store?: CacheStore;
  /** Without it, readUserPreloadSettings fails saying the worker was built without one. */
  appliedConfig?: AppliedConfigReader;
  /**
   * The worker's prefix: no key under it is written, whatever the input or the applied config says.
   * @default appliedConfig's reservedPrefix
   */
  reservedPrefix?: string;
}

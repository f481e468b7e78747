// Load versions from the store's clock: read once (one TIME), then advanced by this process's
// monotonic clock, so a batch of loads gets each load's start time without a round trip per key
// and no wall clock of any client takes part.
import { performance } from 'node:perf_hooks';
import type { CacheStore } from './cache-store';

/** Returns the version for a load starting now: ms since the epoch on the store's clock, an integer. */
export type VersionClock = () => number;

/**
 * A clock for load versions, synchronised with the store's clock (`serverTimeMs`, near `nearKey`)
 * when this is called. Call it when the first load starts; each later call gives a later load's
 * start. A store without a clock of its own gives this process's wall clock.
 */
export async function versionClock(store: Pick<CacheStore, 'serverTimeMs'>, nearKey: string): Promise<VersionClock> {
  if (!store.serverTimeMs) return () => Date.now();
  return clockFrom(await store.serverTimeMs(nearKey));
}

/**
 * A clock that reads `serverMs` now and advances with this process's monotonic clock. Call it as
 * the store's reply arrives: a version may then be a little early (by the reply's travel), never
 * late, so a load is never stamped newer than it is.
 */
export function clockFrom(serverMs: number): VersionClock {
  const localMs = performance.now();
  return () => Math.floor(serverMs + (performance.now() - localMs));
}

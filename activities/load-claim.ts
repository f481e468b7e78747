// The worker's side of the cross-process single-flight: before a warm or a preload loads a key it
// claims the key's lock, the same one cache clients take on a miss (docs/read-protocol.md), so a
// read that misses meanwhile waits for this load instead of calling the origin too. When a reader
// (or another worker) holds it, the load waits for that holder and joins its result instead of
// loading the key a second time.
import { randomUUID } from 'node:crypto';
import type { CacheStore } from '../store/cache-store';
import { clockFrom, versionClock, type VersionClock } from '../store/version-clock';

/**
 * A claim's lease: as long as a cache client waits for a holder by default (its `lockMs`), renewed
 * every third of it while the load runs, so a crashed worker holds a key's readers back at most this long.
 */
export const CLAIM_LEASE_MS = 5_000;
/** How often a claimer that found the lock held looks again (the cache client's `lockPollMs`). */
export const CLAIM_POLL_MS = 20;

/** A claim held by this load: its version, and release once the value is written. */
export interface HeldClaim {
  joined: false;
  /** The load's version: the store's clock when the claim was taken. */
  version: number;
  /** The store's clock from then on: a retry's version is its own start. */
  clock: VersionClock;
  release(): Promise<void>;
}

/** Another holder's load landed (or had just landed): nothing to load. */
export interface JoinedClaim {
  joined: true;
  /** The version that holder stored. */
  storedVersion: number;
  waitedMs: number;
}

export interface ClaimOptions {
  signal: AbortSignal;
  /** Wait at most this long for another holder; then load without the claim. */
  maxWaitMs: number;
  /**
   * Also join a value this writer (its metadata's `source`) stored less than `withinMs` before the
   * claim: a preload joins the cache client's compute of its user's first read.
   */
  joinRecent?: { source: string; withinMs: number };
}

/**
 * Claims `key`'s load. Resolves held (load it, then `release()`), or joined when another holder
 * wrote the key while this waited (or `joinRecent` matched). A store without claims gives a held
 * claim with its clock's version and nothing to release. Rejects only when the store cannot be
 * reached or on abort.
 */
export async function claimLoad(
  store: CacheStore,
  key: string,
  options: ClaimOptions,
): Promise<HeldClaim | JoinedClaim> {
  if (!store.claimLoad) {
    const clock = await versionClock(store, key);
    return { joined: false, version: clock(), clock, release: async () => {} };
  }
  const token = randomUUID();
  const started = Date.now();
  const first = await store.claimLoad(key, token, CLAIM_LEASE_MS);
  const recent = options.joinRecent;
  if (
    recent &&
    first.storedSource === recent.source &&
    first.storedVersion !== null &&
    first.nowMs - first.storedVersion < recent.withinMs
  ) {
    if (first.claimed) await release(store, key, token);
    return { joined: true, storedVersion: first.storedVersion, waitedMs: 0 };
  }
  if (first.claimed) return held(store, key, token, first.nowMs);
  for (;;) {
    await pause(CLAIM_POLL_MS, options.signal);
    const reply = await store.claimLoad(key, token, CLAIM_LEASE_MS);
    if (reply.storedVersion !== null && reply.storedVersion !== first.storedVersion) {
      if (reply.claimed) await release(store, key, token);
      return { joined: true, storedVersion: reply.storedVersion, waitedMs: Date.now() - started };
    }
    if (reply.claimed) return held(store, key, token, reply.nowMs);
    // The holder is stuck or slow: load anyway (versions still order the writes).
    if (Date.now() - started >= options.maxWaitMs) {
      const clock = clockFrom(reply.nowMs);
      return { joined: false, version: reply.nowMs, clock, release: async () => {} };
    }
  }
}

function held(store: CacheStore, key: string, token: string, nowMs: number): HeldClaim {
  const renew = setInterval(() => {
    store.renewLoad?.(key, token, CLAIM_LEASE_MS).then(
      (kept) => {
        if (!kept) clearInterval(renew);
      },
      () => undefined, // the lease runs out by itself
    );
  }, CLAIM_LEASE_MS / 3);
  renew.unref();
  let released = false;
  return {
    joined: false,
    version: nowMs,
    clock: clockFrom(nowMs),
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      await release(store, key, token);
    },
  };
}

/** Releases a claim; a failure is left to the lease, which runs out by itself. */
async function release(store: CacheStore, key: string, token: string): Promise<void> {
  await store.releaseLoad?.(key, token).catch(() => undefined);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

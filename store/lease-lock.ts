// A short Redis lock with a lease, renewed while its holder works and released in `finally`: what
// serialises `apply`. A holder that dies loses it when the lease runs out, never for good.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { callScript, defineScripts } from './lua-scripts';

/** Options of `withLeaseLock`. */
export interface LeaseLockOptions {
  /**
   * How long the lock outlives its holder's last renewal, in ms; renewed every third of it.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * How long to wait for another holder to release it before giving up, in ms.
   * @default 300000
   */
  waitMs?: number;
  /**
   * How often a waiting caller tries again, in ms.
   * @default 100
   */
  pollMs?: number;
  /**
   * What holds the lock, for messages: `another apply holds ...`.
   * @default 'another process'
   */
  holder?: string;
}

/** The lock as its holder sees it. */
export interface HeldLock {
  readonly key: string;
  /** The holder's token: scripts that write only while it holds the lock compare it. */
  readonly token: string;
  /** Throws when a renewal found the lock no longer held (the lease ran out while the holder was stalled). */
  assertHeld(): void;
}

const DEFAULTS = { leaseMs: 30_000, waitMs: 300_000, pollMs: 100, holder: 'another process' };

/**
 * Runs `work` holding the lease lock at `key`: waits up to `waitMs` while someone else holds it
 * (then throws one line saying who and which key), renews the lease while `work` runs, and
 * releases it when `work` settles. Stray data at `key` is cleared, never waited on.
 */
export async function withLeaseLock<T>(
  redis: Redis | Cluster,
  key: string,
  options: LeaseLockOptions,
  work: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  const { leaseMs, waitMs, pollMs, holder } = { ...DEFAULTS, ...options };
  for (const [name, value] of Object.entries({ leaseMs, waitMs, pollMs })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${value})`);
  }
  defineScripts(redis);
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  while (Number(await callScript(redis, 'acquire-lock', [key], [token, leaseMs])) !== 1) {
    if (Date.now() >= deadline) {
      throw new Error(
        `${holder} holds the lock ${key}; waited ${Math.round(waitMs / 1000)} s: try again when it is done`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  let lost = false;
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = callScript(redis, 'renew-lock', [key], [token, leaseMs]).then(
        (renewed) => {
          if (Number(renewed) !== 1) lost = true;
        },
        () => undefined, // a failed renewal is retried at the next tick; the lease covers two misses
      );
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  const lock: HeldLock = {
    key,
    token,
    assertHeld() {
      if (lost) throw new Error(`lost the lock ${key} (its ${leaseMs} ms lease ran out): run it again`);
    },
  };
  try {
    return await work(lock);
  } finally {
    clearInterval(timer);
    await renewing;
    await callScript(redis, 'release-lock', [key], [token]).catch(() => undefined); // it expires by itself
  }
}

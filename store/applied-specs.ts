// The spec hash last applied to each task's workflow (`<prefix>applied`), read and written by
// `apply` under its lock: written only by the lock's holder, so it never falls out of step with
// what the task workflows run; stray data there is treated as nothing applied and replaced.
import type { Cluster, Redis } from 'ioredis';
import type { HeldLock } from './lease-lock';
import { callScript, defineScripts } from './lua-scripts';
import { isWrongType } from './redis-errors';
import type { RedisKeys } from './redis-keys';

/** Fields per Redis command when reading or deleting many. */
const CHUNK = 1_000;

export class AppliedSpecs {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
  ) {
    defineScripts(redis);
  }

  /** The hash last applied for each task id, null where none (or where stray data stands). */
  async read(taskIds: readonly string[]): Promise<(string | null)[]> {
    const hashes: (string | null)[] = [];
    try {
      for (let i = 0; i < taskIds.length; i += CHUNK)
        hashes.push(...(await this.redis.hmget(this.keys.appliedSpecs(), ...taskIds.slice(i, i + CHUNK))));
    } catch (err) {
      if (!isWrongType(err)) throw err;
      return taskIds.map(() => null); // not a hash: every task is asked, and the next write replaces it
    }
    return hashes;
  }

  /** Records `hash` for `taskId`; throws when `lock` (the apply lock) is no longer held. */
  async set(lock: HeldLock, taskId: string, hash: string): Promise<void> {
    await this.update(lock, ['set', taskId, hash]);
  }

  /** Forgets the tasks' hashes; throws when `lock` is no longer held. */
  async delete(lock: HeldLock, taskIds: readonly string[]): Promise<void> {
    for (let i = 0; i < taskIds.length; i += CHUNK) await this.update(lock, ['del', ...taskIds.slice(i, i + CHUNK)]);
  }

  private async update(lock: HeldLock, args: string[]): Promise<void> {
    lock.assertHeld();
    const changed = await callScript(
      this.redis,
      'update-applied',
      [lock.key, this.keys.appliedSpecs()],
      [lock.token, ...args],
    );
    if (Number(changed) !== 1)
      throw new Error(`lost the lock ${lock.key} before recording what was applied: run it again`);
  }
}

// Tracks groups of keys expected in Redis (one group per login) and when the last one arrived.
// Fed by Redis keyspace events; pure, so the bookkeeping is tested without Redis.

interface Group {
  sentAtMs: number;
  missing: Set<string>;
  doneAtMs?: number;
}

export class ArrivalTracker {
  private readonly groups = new Map<string, Group>();
  private readonly owner = new Map<string, string>();
  private readonly waiters: { groupIds: string[]; resolve: () => void }[] = [];

  /** Expects `keys` for `groupId`, counted from `sentAtMs`. A key belongs to one group. */
  expect(groupId: string, keys: readonly string[], sentAtMs: number): void {
    if (this.groups.has(groupId)) throw new Error(`group ${groupId} is already expected`);
    if (keys.length === 0) throw new Error(`group ${groupId} expects no keys`);
    this.groups.set(groupId, { sentAtMs, missing: new Set(keys) });
    for (const key of keys) this.owner.set(key, groupId);
  }

  /** Records that `key` was written at `atMs`; keys of no group (or seen before) are ignored. */
  arrived(key: string, atMs: number): void {
    const groupId = this.owner.get(key);
    if (groupId === undefined) return;
    const group = this.groups.get(groupId) as Group;
    if (!group.missing.delete(key) || group.missing.size > 0) return;
    group.doneAtMs = atMs;
    for (const waiter of [...this.waiters]) {
      if (waiter.groupIds.every((id) => this.groups.get(id)?.doneAtMs !== undefined)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** Milliseconds from sent to complete for each completed group among `groupIds`. */
  latencies(groupIds: readonly string[]): number[] {
    const out: number[] = [];
    for (const id of groupIds) {
      const group = this.groups.get(id);
      if (group?.doneAtMs !== undefined) out.push(group.doneAtMs - group.sentAtMs);
    }
    return out;
  }

  /** Groups among `groupIds` still missing a key. */
  incomplete(groupIds: readonly string[]): string[] {
    return groupIds.filter((id) => this.groups.get(id)?.doneAtMs === undefined);
  }

  /** Resolves when every group among `groupIds` is complete, or after `timeoutMs`. */
  whenComplete(groupIds: readonly string[], timeoutMs: number): Promise<void> {
    if (this.incomplete(groupIds).length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        groupIds: [...groupIds],
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

// The loads waiting for one origin, by priority and then first come first served, each shed when
// its deadline passes first: what both kinds of origin gate (this worker's own budget, or the
// budget every worker shares) queue their loads in.

/**
 * Which queue a load waits in when its origin is busy: `critical` (critical tasks' warms) before
 * `login` (user preloads: a user is waiting) before `normal` (other task warms) before `bulk`
 * (pattern and bulk warming, in batches). Within a priority, first come first served. A steady
 * stream of higher-priority loads can hold lower ones back; critical loads are few by design, and
 * login loads are shed when they wait past their deadline.
 */
export type LoadPriority = 'critical' | 'login' | 'normal' | 'bulk';

export const LOAD_PRIORITIES: readonly LoadPriority[] = ['critical', 'login', 'normal', 'bulk'];

/** A load that waited for its origin past its deadline and was dropped, never started. */
export class LoadShedError extends Error {
  override readonly name = 'LoadShedError';
  constructor(
    readonly origin: string,
    readonly waitedMs: number,
  ) {
    super(`shed: waited ${waitedMs} ms for ${origin} past its deadline, not loaded`);
  }
}

/** A waiting load: granted once, or shed once its deadline passes first. */
interface Waiter<T> {
  grant(value: T): void;
  settled: boolean;
}

/** A FIFO of waiting loads that pops in O(1) (a bulk batch queues thousands); shed ones are skipped. */
class WaitQueue<T> {
  private items: Waiter<T>[] = [];
  private head = 0;
  private shed = 0;

  get length(): number {
    return this.items.length - this.head - this.shed;
  }

  push(item: Waiter<T>): void {
    this.items.push(item);
  }

  /** Counts a waiter that left by its deadline (it stays in the array until popped). */
  forget(): void {
    this.shed++;
  }

  shift(): Waiter<T> | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head++] as Waiter<T>;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (!item.settled) return item;
      this.shed--;
    }
    return undefined;
  }
}

/** One origin's waiting loads; each is granted a `T` (nothing, or the lease it runs under). */
export class LoadWaiters<T> {
  private readonly queues = new Map<LoadPriority, WaitQueue<T>>(LOAD_PRIORITIES.map((p) => [p, new WaitQueue<T>()]));
  private waiting = 0;

  constructor(private readonly origin: string) {}

  /** Loads waiting at every priority. */
  get count(): number {
    return this.waiting;
  }

  /** Loads waiting at one priority. */
  queued(priority: LoadPriority): number {
    return this.queue(priority).length;
  }

  /** The highest priority anything waits at, or undefined when nothing waits. */
  highest(): LoadPriority | undefined {
    return this.waiting === 0 ? undefined : LOAD_PRIORITIES.find((p) => this.queue(p).length > 0);
  }

  /**
   * Waits for a grant; rejects with LoadShedError when `startBy` (ms since the epoch) passes first.
   * Whoever calls this then looks for capacity and grants (`grantNext`).
   */
  wait(priority: LoadPriority, startBy?: number): Promise<T> {
    const queuedAt = Date.now();
    if (startBy !== undefined && startBy <= queuedAt) return Promise.reject(new LoadShedError(this.origin, 0));
    return new Promise<T>((resolve, reject) => {
      const queue = this.queue(priority);
      let deadline: NodeJS.Timeout | undefined;
      const waiter: Waiter<T> = {
        settled: false,
        grant: (value) => {
          waiter.settled = true;
          clearTimeout(deadline);
          resolve(value);
        },
      };
      if (startBy !== undefined) {
        deadline = setTimeout(() => {
          if (waiter.settled) return;
          waiter.settled = true;
          queue.forget();
          this.waiting--;
          reject(new LoadShedError(this.origin, Date.now() - queuedAt));
        }, startBy - queuedAt);
      }
      queue.push(waiter);
      this.waiting++;
    });
  }

  /** Grants `value` to the longest waiting load at `priority` (default: the highest waiting); false when none waits there. */
  grantNext(value: T, priority: LoadPriority | undefined = this.highest()): boolean {
    const next = priority === undefined ? undefined : this.queue(priority).shift();
    if (!next) return false;
    this.waiting--;
    next.grant(value);
    return true;
  }

  private queue(priority: LoadPriority): WaitQueue<T> {
    return this.queues.get(priority) as WaitQueue<T>;
  }
}

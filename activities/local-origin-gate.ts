// One origin's gate with this worker process's own budget: at most `concurrency` loads in flight
// and `ratePerSecond` started in any second, counted here alone. What a single worker, tests and
// `originBudget: 'worker'` use; a deployment of several workers shares one budget instead
// (shared-origin-gate.ts).
import { LoadWaiters, type LoadPriority } from './load-waiters';

/** What the limiter needs of a gate, whichever budget it keeps. */
export interface OriginGate {
  /** Loads waiting or running. */
  readonly pending: number;
  /** Loads waiting at one priority. */
  queued(priority: LoadPriority): number;
  run<T>(load: () => Promise<T>, priority: LoadPriority, startBy?: number): Promise<T>;
  stop(): Promise<void>;
}

export class LocalOriginGate implements OriginGate {
  private active = 0;
  private readonly waiters: LoadWaiters<void>;
  /** Start times (ms) of the loads in the last second: a sliding window, exact at any instant. */
  private readonly starts: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    origin: string,
    private readonly concurrency: number,
    private readonly ratePerSecond: number,
  ) {
    this.waiters = new LoadWaiters(origin);
  }

  get pending(): number {
    return this.active + this.waiters.count;
  }

  queued(priority: LoadPriority): number {
    return this.waiters.queued(priority);
  }

  async run<T>(load: () => Promise<T>, priority: LoadPriority, startBy?: number): Promise<T> {
    await this.acquire(priority, startBy);
    try {
      return await load();
    } finally {
      this.active--;
      this.pump();
    }
  }

  /** A slot and a start within the rate, granted at once when nobody waits, else in priority order. */
  private acquire(priority: LoadPriority, startBy?: number): Promise<void> {
    if (this.waiters.count === 0 && this.canStart(Date.now())) {
      this.start(Date.now());
      return Promise.resolve();
    }
    const granted = this.waiters.wait(priority, startBy);
    this.pump();
    return granted;
  }

  private canStart(now: number): boolean {
    if (this.active >= this.concurrency) return false;
    if (this.ratePerSecond <= 0) return true;
    while (this.starts.length > 0 && now - (this.starts[0] as number) >= 1000) this.starts.shift();
    return this.starts.length < this.ratePerSecond;
  }

  private start(now: number): void {
    this.active++;
    if (this.ratePerSecond > 0) this.starts.push(now);
  }

  /** Grants waiting loads, highest priority first, while slots and rate allow; else waits for the window. */
  private pump(): void {
    while (this.waiters.count > 0) {
      const now = Date.now();
      if (!this.canStart(now)) {
        // Out of rate (not of slots, which a finishing load frees): look again when the oldest start ages out.
        if (this.active < this.concurrency && !this.timer) {
          this.timer = setTimeout(
            () => {
              this.timer = undefined;
              this.pump();
            },
            1000 - (now - (this.starts[0] as number)),
          );
        }
        return;
      }
      this.start(now);
      this.waiters.grantNext();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

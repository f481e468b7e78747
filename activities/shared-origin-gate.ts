// One origin's gate under the budget every worker of the deployment shares (store/origin-budget.ts):
// the config's concurrency and rate hold for all replicas together, and a critical load anywhere
// goes ahead of normal and bulk loads everywhere. Loads wait here by priority as in the local gate;
// one exchange at a time with Redis returns finished leases and asks for as many as wait at the
// highest priority, so a batch of loads costs one round trip, not one each. Without a rate limit,
// a finishing load hands its lease straight to the next load waiting here, with no round trip,
// while the last exchange (at most HANDOVER_FRESH_MS ago) saw no other worker waiting at that
// priority or above: a fast origin then keeps every slot busy instead of idling one round trip
// per load, and a waiting worker is seen within that time.
import type { OriginBudget } from '../store/origin-budget';
import type { OriginGate } from './local-origin-gate';
import { LOAD_PRIORITIES, LoadWaiters, type LoadPriority } from './load-waiters';

/** How old the last exchange's view of other workers' demand may be for a lease to be handed over locally, in ms. */
const HANDOVER_FRESH_MS = 50;
/** Past the lowest priority's index: no other worker waits. */
const NOBODY_WAITS = LOAD_PRIORITIES.length;

/** How long stopping waits to return its leases, in ms. */
const STOP_WAIT_MS = 1_000;

/** How the shared gate waits and what it does when Redis fails. */
export interface SharedGateOptions {
  /** How often a gate with loads waiting asks again when the origin is busy elsewhere, in ms. */
  pollMs: number;
  /** How long to wait before asking again after Redis failed, in ms. */
  retryMs: number;
  /** Told once per failure streak: loads wait (and may be shed) until Redis answers again. */
  onError(err: unknown): void;
}

export class SharedOriginGate implements OriginGate {
  private readonly waiters: LoadWaiters<string>;
  /** Leases of the loads running here. */
  private readonly held = new Set<string>();
  /** Leases of finished loads, returned with the next exchange. */
  private finished: string[] = [];
  private exchanging = false;
  private again = false;
  /** Whether the budget records loads waiting here (withdrawn once none waits). */
  private demanding = false;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly renewal: NodeJS.Timeout;
  private stopped = false;
  /** What the last exchange said of other workers' waiting loads, and when it said it. */
  private othersWaitAt = NOBODY_WAITS;
  private othersSeenAt = 0;

  constructor(
    private readonly origin: string,
    private readonly concurrency: number,
    private readonly ratePerSecond: number,
    private readonly budget: OriginBudget,
    private readonly options: SharedGateOptions,
  ) {
    this.waiters = new LoadWaiters(origin);
    // A third of the lease: two renewals can be missed (a stalled event loop) before one runs out.
    this.renewal = setInterval(() => this.renew(), Math.max(10, Math.floor(budget.leaseMs / 3)));
    this.renewal.unref();
  }

  get pending(): number {
    return this.held.size + this.waiters.count;
  }

  queued(priority: LoadPriority): number {
    return this.waiters.queued(priority);
  }

  async run<T>(load: () => Promise<T>, priority: LoadPriority, startBy?: number): Promise<T> {
    const granted = this.waiters.wait(priority, startBy);
    this.pump();
    const lease = await granted;
    try {
      return await load();
    } finally {
      if (!this.handOver(lease)) {
        this.held.delete(lease);
        this.finished.push(lease);
        this.pump();
      }
    }
  }

  /** Gives a finished load's lease to the next load waiting here when no round trip is needed (see the top). */
  private handOver(lease: string): boolean {
    if (this.ratePerSecond > 0 || this.stopped) return false;
    const priority = this.waiters.highest();
    if (priority === undefined || Date.now() - this.othersSeenAt > HANDOVER_FRESH_MS) return false;
    if (this.othersWaitAt <= LOAD_PRIORITIES.indexOf(priority)) return false;
    return this.waiters.grantNext(lease, priority);
  }

  private saw(othersWaitAt: number): void {
    this.othersWaitAt = othersWaitAt;
    this.othersSeenAt = Date.now();
  }

  /** One exchange with the budget when there is something to return or to ask for; never two at once. */
  private pump(): void {
    if (this.stopped) return;
    if (this.exchanging) {
      this.again = true;
      return;
    }
    const priority = this.waiters.highest();
    const wanted = priority ? Math.min(this.waiters.queued(priority), this.concurrency - this.held.size) : 0;
    if (wanted === 0 && this.finished.length === 0 && !(this.demanding && priority === undefined)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const release = this.finished;
    this.finished = [];
    this.exchanging = true;
    this.budget
      .exchange(this.origin, {
        release,
        renew: [],
        priority: wanted > 0 ? LOAD_PRIORITIES.indexOf(priority as LoadPriority) : 'withdraw',
        wanted,
        concurrency: this.concurrency,
        ratePerSecond: this.ratePerSecond,
      })
      .then(
        ({ leases, retryAfterMs, othersWaitAt }) => {
          this.failing = false;
          this.saw(othersWaitAt);
          for (const lease of leases) {
            // A waiter shed while the exchange ran leaves its lease unused: return it.
            if (this.waiters.grantNext(lease, priority)) this.held.add(lease);
            else this.finished.push(lease);
          }
          this.demanding = leases.length < wanted;
          if (this.demanding) this.retryIn(retryAfterMs > 0 ? retryAfterMs : this.options.pollMs);
          else if (this.waiters.count > 0) this.again = true;
        },
        (err: unknown) => {
          this.finished = [...release, ...this.finished];
          if (!this.failing) this.options.onError(err);
          this.failing = true;
          this.retryIn(this.options.retryMs);
        },
      )
      .finally(() => {
        this.exchanging = false;
        if (this.again || this.finished.length > 0) {
          this.again = false;
          this.pump();
        }
      });
  }

  private retryIn(ms: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }

  /** Keeps the leases of running loads alive; a failed renewal is tried again at the next one. */
  private renew(): void {
    if (this.held.size === 0) return;
    this.budget
      .exchange(this.origin, {
        release: [],
        renew: [...this.held],
        wanted: 0,
        concurrency: this.concurrency,
        ratePerSecond: this.ratePerSecond,
      })
      .then(({ othersWaitAt }) => this.saw(othersWaitAt))
      .catch(() => undefined);
  }

  /** Stops asking; returns finished leases (and any still held: the worker is going) so others need not wait them out. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewal);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const release = [...this.finished, ...this.held];
    this.finished = [];
    this.held.clear();
    const returned = this.budget
      .exchange(this.origin, {
        release,
        renew: [],
        priority: 'withdraw',
        wanted: 0,
        concurrency: this.concurrency,
        ratePerSecond: this.ratePerSecond,
      })
      .catch(() => undefined);
    // Redis down: the leases run out by themselves; a worker's shutdown does not wait on it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([returned, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }
}

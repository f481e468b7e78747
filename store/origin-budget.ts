// The per-origin budget every worker of a deployment shares through Redis: leases for loads in
// flight, starts in the last second, and which worker waits at which priority (see
// store/lua/origin-budget.lua). One round trip releases, renews and acquires together.
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { callScript, defineScripts } from './lua-scripts';
import type { RedisKeys } from './redis-keys';

/** One exchange with an origin's shared budget. */
export interface BudgetExchange {
  /** Leases of loads that finished. */
  release: readonly string[];
  /** Leases of loads still running, to keep. */
  renew: readonly string[];
  /**
   * Priority index to acquire at, 0 the highest; `withdraw`: acquire nothing and withdraw this
   * worker's waiting demand; absent: acquire nothing, leave the demand (a renewal).
   */
  priority?: number | 'withdraw';
  /** Leases wanted at that priority. */
  wanted: number;
  concurrency: number;
  /** Starts per second, 0 for no limit. */
  ratePerSecond: number;
}

export interface BudgetGrant {
  /** Lease ids granted, each to be released (or left to run out) once its load ends. */
  leases: string[];
  /** When fewer were granted than wanted for lack of rate: ms until a start ages out; else 0. */
  retryAfterMs: number;
  /** The highest priority index another worker has loads waiting at; 4 (past the lowest) when none waits. */
  othersWaitAt: number;
}

/** Origins' budgets shared by a deployment's workers. */
export interface OriginBudget {
  /** How long a lease outlives its worker's last renewal, in ms. */
  readonly leaseMs: number;
  exchange(origin: string, request: BudgetExchange): Promise<BudgetGrant>;
}

export interface RedisOriginBudgetOptions {
  /**
   * How long a lease outlives its last renewal: the longest a dead worker's loads hold capacity.
   * @default 10000
   */
  leaseMs?: number;
  /**
   * How long a worker's waiting demand blocks lower-priority loads of other workers unless renewed.
   * Longer than the longest wait between a waiting worker's requests (a start ageing out of the
   * rate window, under a second).
   * @default 2000
   */
  demandMs?: number;
}

export class RedisOriginBudget implements OriginBudget {
  readonly leaseMs: number;
  private readonly demandMs: number;
  /** This process's name in lease ids: random, so workers never share one. */
  private readonly worker = randomBytes(6).toString('hex');
  private sequence = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
    options: RedisOriginBudgetOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 10_000;
    this.demandMs = options.demandMs ?? 2_000;
    defineScripts(redis);
  }

  async exchange(origin: string, request: BudgetExchange): Promise<BudgetGrant> {
    const acquiring = typeof request.priority === 'number' && request.wanted > 0;
    const mode = request.priority === 'withdraw' ? -1 : -2;
    const first = this.sequence;
    if (acquiring) this.sequence += request.wanted;
    const reply = (await callScript(this.redis, 'origin-budget', this.keys.originBudget(origin), [
      this.worker,
      acquiring ? (request.priority as number) : mode,
      acquiring ? request.wanted : 0,
      request.concurrency,
      request.ratePerSecond,
      this.leaseMs,
      this.demandMs,
      first,
      request.release.length,
      ...request.release,
      ...request.renew,
    ])) as [number, number, number];
    const granted = Number(reply[0]);
    const leases = Array.from({ length: granted }, (_, i) => `${this.worker}:${first + i}`);
    return { leases, retryAfterMs: Number(reply[1]), othersWaitAt: Number(reply[2]) };
  }
}

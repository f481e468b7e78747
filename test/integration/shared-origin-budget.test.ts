// The origin budget every worker of a deployment shares, against a real redis-server: several
// limiters (each its own worker, its own lease ids) keep one cap and one rate together, a critical
// load of one worker goes before bulk loads of another, and a worker that dies holds its leases
// only until they run out.
import { Redis } from 'ioredis';
import { OriginLimiter, type LoadPriority } from '../../activities/origin-limiter';
import { RedisOriginBudget } from '../../store/origin-budget';
import { redisKeys } from '../../store/redis-keys';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';

const ORIGIN = 'http://origin.test';
const connections: Redis[] = [];
const limiters: OriginLimiter[] = [];

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
  for (const c of connections.splice(0)) c.disconnect();
});

interface Worker {
  limiter: OriginLimiter;
  redis: Redis;
}

/** `count` limiters on one prefix, each with its own connection, as separate worker processes would be. */
function workers(count: number, concurrency: number, rate: number, leaseMs?: number): Worker[] {
  const keys = redisKeys(`${uniqueName('budget')}:`);
  return Array.from({ length: count }, () => {
    const redis = new Redis(testServers().redisUrl);
    connections.push(redis);
    const budget = new RedisOriginBudget(redis, keys, leaseMs === undefined ? {} : { leaseMs });
    const limiter = new OriginLimiter({ originConcurrency: concurrency, originRatePerSecond: rate }, { budget });
    limiters.push(limiter);
    return { limiter, redis };
  });
}

/** A load that records how many loads of every worker run at once. */
function sharedCounter() {
  let running = 0;
  let most = 0;
  const starts: number[] = [];
  const load = (ms: number) => async () => {
    running++;
    most = Math.max(most, running);
    starts.push(Date.now());
    await new Promise((r) => setTimeout(r, ms));
    running--;
  };
  return { load, most: () => most, starts };
}

test('three workers together never run more loads of an origin at once than its cap', async () => {
  const fleet = workers(3, 4, 0);
  const counter = sharedCounter();
  await Promise.all(
    fleet.flatMap(({ limiter }) => Array.from({ length: 30 }, () => limiter.schedule(ORIGIN, counter.load(15)))),
  );
  expect(counter.most()).toBe(4);
  expect(counter.starts).toHaveLength(90);
});

test('three workers together start no more loads of an origin in any second than its rate', async () => {
  const fleet = workers(3, 100, 20);
  const counter = sharedCounter();
  const t0 = Date.now();
  await Promise.all(
    fleet.flatMap(({ limiter }) => Array.from({ length: 20 }, () => limiter.schedule(ORIGIN, counter.load(1)))),
  );
  // 60 starts at 20 a second: the last window opens two seconds after the first.
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  const starts = counter.starts.sort((a, b) => a - b);
  // Redis's clock decides; allow the few ms between its TIME and the load's own Date.now().
  for (const t of starts) expect(starts.filter((u) => u >= t + 5 && u < t + 1000).length).toBeLessThanOrEqual(20);
});

test("a critical load of one worker starts before another worker's queued bulk loads", async () => {
  const [a, b, c] = workers(3, 1, 0) as [Worker, Worker, Worker];
  const order: string[] = [];
  let release!: () => void;
  const blocker = a.limiter.schedule(ORIGIN, () => new Promise<void>((r) => (release = r)));
  await waitFor('the blocker to start', () => release !== undefined, { timeoutMs: 5_000, intervalMs: 5 });
  const run = (worker: { limiter: OriginLimiter }, name: string, priority: LoadPriority) =>
    worker.limiter.schedule(ORIGIN, async () => void order.push(name), priority);
  const queued = [run(b, 'bulk-1', 'bulk'), run(b, 'bulk-2', 'bulk'), run(c, 'critical', 'critical')];
  // Both have asked (and been refused) at least once: each one's demand is in Redis.
  await new Promise((r) => setTimeout(r, 100));
  expect(order).toEqual([]);
  release();
  await Promise.all([blocker, ...queued]);
  expect(order).toEqual(['critical', 'bulk-1', 'bulk-2']);
});

test("a dead worker's loads hold the origin only until their leases run out", async () => {
  const [dying, survivor] = workers(2, 2, 0, 600) as [Worker, Worker];
  const never = () => new Promise<void>(() => undefined);
  void dying.limiter.schedule(ORIGIN, never);
  void dying.limiter.schedule(ORIGIN, never);
  await waitFor(
    'both loads to start',
    () => dying.limiter.pending(ORIGIN) === 2 && dying.limiter.queued(ORIGIN, 'normal') === 0,
    {
      timeoutMs: 5_000,
      intervalMs: 5,
    },
  );
  // The process is gone: no renewal, no release, ever.
  dying.redis.disconnect();
  const t0 = Date.now();
  let startedAfter = -1;
  await survivor.limiter.schedule(ORIGIN, async () => void (startedAfter = Date.now() - t0));
  expect(startedAfter).toBeGreaterThanOrEqual(300);
  expect(startedAfter).toBeLessThan(3_000);
});

test('leases of running loads are renewed: a load longer than its lease keeps its slot', async () => {
  const [a, b] = workers(2, 1, 0, 300) as [Worker, Worker];
  const events: string[] = [];
  const long = a.limiter.schedule(ORIGIN, async () => {
    events.push('long start');
    await new Promise((r) => setTimeout(r, 1_200));
    events.push('long end');
  });
  await waitFor('the long load to start', () => events.length === 1, { timeoutMs: 5_000, intervalMs: 5 });
  await b.limiter.schedule(ORIGIN, async () => void events.push('other'));
  await long;
  expect(events).toEqual(['long start', 'long end', 'other']);
});

test('a load waiting for a shared budget is still shed at its deadline', async () => {
  const [a, b] = workers(2, 1, 0) as [Worker, Worker];
  let release!: () => void;
  const blocker = a.limiter.schedule(ORIGIN, () => new Promise<void>((r) => (release = r)));
  await waitFor('the blocker to start', () => release !== undefined, { timeoutMs: 5_000, intervalMs: 5 });
  const started: string[] = [];
  const shed = b.limiter.schedule(ORIGIN, async () => void started.push('late'), 'login', Date.now() + 200);
  await expect(shed).rejects.toMatchObject({ name: 'LoadShedError' });
  release();
  await blocker;
  // Its place is free: the next load of that worker runs.
  await b.limiter.schedule(ORIGIN, async () => void started.push('next'));
  expect(started).toEqual(['next']);
});

/** 200 loads of 5 ms queued at once on `worker`: one second of work under a cap of one; resolves with how many ran. */
function stream(worker: Worker, priority: LoadPriority) {
  let done = 0;
  const all = Promise.all(
    Array.from({ length: 200 }, () =>
      worker.limiter.schedule(
        ORIGIN,
        async () => {
          await new Promise((r) => setTimeout(r, 5));
          done++;
        },
        priority,
      ),
    ),
  );
  return { all, done: () => done };
}

test("a worker handing its slot from load to load still lets another worker's critical load in within a moment", async () => {
  const [a, b] = workers(2, 1, 0) as [Worker, Worker];
  const bulk = stream(a, 'bulk');
  await new Promise((r) => setTimeout(r, 100));
  const asked = Date.now();
  let waitedMs = -1;
  let bulkDoneBefore = -1;
  await b.limiter.schedule(
    ORIGIN,
    async () => {
      waitedMs = Date.now() - asked;
      bulkDoneBefore = bulk.done();
    },
    'critical',
  );
  await bulk.all;
  expect(bulkDoneBefore).toBeLessThan(150);
  expect(waitedMs).toBeLessThan(500);
});

test('a worker handing its slot from load to load lets another worker waiting at the same priority take turns', async () => {
  const [a, b] = workers(2, 1, 0) as [Worker, Worker];
  const normal = stream(a, 'normal');
  await new Promise((r) => setTimeout(r, 100));
  let doneBefore = -1;
  await b.limiter.schedule(ORIGIN, async () => void (doneBefore = normal.done()));
  await normal.all;
  expect(doneBefore).toBeLessThan(150);
});

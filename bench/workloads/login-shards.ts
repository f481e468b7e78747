// login-shards rows: the login rate the login shards take before a login's p99 passes 1 s, with
// 1, 4 and 16 shards (`notifyUserLoggedIn`'s `shards`, WARMING_LOGIN_SHARDS). For each shard
// count the bench sends logins open loop (each a new user, as the auth service sends them) at a
// rate stepped up phase by phase until the 99th percentile from the call until the preload's
// keys are all in Redis passes the limit, or a login is lost (a step over it is run once more, so
// one disturbed step does not end the ramp); the row is the last rate that held. Each step's CPU
// per process, and the machine's CPU spent by anything else, say what bounds it. Arrival times
// come from Redis keyspace events.
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { createWarmingClient } from '../../client/warming-client';
import { parseWarmingConfig } from '../../core/config-schema';
import { WORKFLOW_TYPES, quote } from '../../core/visibility-query';
import { ArrivalTracker } from '../arrival-tracker';
import type { BenchContext } from '../bench-context';
import { processPids } from '../bench-context';
import { CpuMeter } from '../bench-stack';
import { makeRow, type BenchRow } from '../bench-report';
import { expectedFormIds } from '../bench-values';
import { loginOriginUrls } from '../direct-preload';
import { percentile, round, summarize } from '../stats';

export interface LoginShardsOptions {
  /** Shard counts measured, in order; the first is the others' baseline. */
  shardCounts: readonly number[];
  /** Logins per second of each step, increasing. */
  rates: readonly number[];
  /** Length of one step. */
  seconds: number;
  /** Each shard count's whole ramp, this many times (alternating the order of the counts). */
  repeats: number;
  /** A step holds while its p99 from the call until every key is in Redis is at most this. */
  p99LimitMs: number;
  latencyMs: { session: number; navigation: number; formsList: number; form: number };
}

const FORMS_MAX = 5;
/** After a step's last login, how long its preloads may still land before they count as lost. */
const DRAIN_MS = 30_000;
/** How long the preloads of a step may take to close before the next step starts. */
const SETTLE_MS = 60_000;

/** One step of a ramp. */
interface Step {
  loginsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** p99 of the `notifyUserLoggedIn` call itself (the signal-with-start). */
  callP99Ms: number;
  lost: number;
  errors: number;
  /** Cores each process used during the step (CPU seconds per wall second); `other`: the rest of the machine. */
  cores: Record<string, number>;
  held: boolean;
  /** Whether this is the second try of a rate whose first did not hold. */
  retry?: boolean;
}

interface Ramp {
  shards: number;
  repeat: number;
  /** The last rate that held, or 0 when the first did not. */
  maxLoginsPerSecond: number;
  steps: Step[];
}

export async function runLoginShards(ctx: BenchContext, options: LoginShardsOptions): Promise<BenchRow[]> {
  const { stack, client, redis } = ctx;
  const taskQueue = stack.taskQueue;
  const urls = loginOriginUrls(stack.originUrl, options.latencyMs);
  // userPreload's defaults but the sources (each login is a new user, so the skip window never applies).
  const config = parseWarmingConfig({
    userPreload: {
      session: { loader: { type: 'http', url: urls.session }, key: 'ls:{userId}:session', ttlSeconds: 1800 },
      navigation: { loader: { type: 'http', url: urls.navigation }, key: 'ls:{userId}:navigation', ttlSeconds: 1800 },
      forms: {
        list: { type: 'http', url: urls.formsList },
        item: { type: 'http', url: urls.form },
        key: 'ls-form:{formId}',
        ttlSeconds: 1800,
      },
    },
  });
  if (config.userPreload?.forms?.max !== FORMS_MAX) throw new Error('bench userPreload did not parse as expected');
  const warming = await createWarmingClient({ client, redis, taskQueue });
  await warming.apply(config);

  await redis.config('SET', 'notify-keyspace-events', 'E$');
  const subscriber = new Redis(stack.redis.url);
  const tracker = new ArrivalTracker();
  subscriber.on('message', (_channel: string, key: string) => tracker.arrived(key, performance.now()));
  await subscriber.subscribe('__keyevent@0__:set');
  const keysOf = (userId: string) => [
    `ls:${userId}:session`,
    `ls:${userId}:navigation`,
    ...expectedFormIds(userId, FORMS_MAX).map((formId) => `ls-form:${formId}`),
  ];
  const pids = processPids(ctx);
  let phase = 0;

  /** Sends `count` logins at `rate` per second over `shards` shards, open loop, and waits them out. */
  const drive = async (shards: number, rate: number, count: number): Promise<Omit<Step, 'held'>> => {
    const run = `ls-${shards}-${phase++}-${Date.now().toString(36)}`;
    const ids: string[] = [];
    const calls: number[] = [];
    const sends: Promise<void>[] = [];
    let errors = 0;
    const cpu = new CpuMeter(pids);
    const machineStart = machineBusySeconds();
    const wallStart = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = wallStart + (i * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const userId = `${run}-${i}`;
      ids.push(userId);
      const sentAt = performance.now();
      tracker.expect(userId, keysOf(userId), sentAt);
      sends.push(
        notifyUserLoggedIn(client, userId, { taskQueue, shards }).then(
          () => void calls.push(performance.now() - sentAt),
          (err: unknown) => {
            errors++;
            ctx.log(`login ${userId} failed: ${err instanceof Error ? err.message : String(err)}`);
          },
        ),
      );
    }
    const sentFor = performance.now() - wallStart;
    // CPU over the sending time only: what the machine spent at this rate, not on the drain.
    const used = cpu.used();
    const other = machineBusySeconds() - machineStart - Object.values(used).reduce((a, b) => a + b, 0);
    await Promise.all(sends);
    await tracker.whenComplete(ids, DRAIN_MS);
    const latencies = tracker.latencies(ids);
    return {
      loginsPerSecond: rate,
      p50Ms: latencies.length ? round(percentile(latencies, 50), 3) : Number.NaN,
      p99Ms: latencies.length ? round(percentile(latencies, 99), 3) : Number.NaN,
      callP99Ms: calls.length ? round(percentile(calls, 99), 3) : Number.NaN,
      lost: tracker.incomplete(ids).length,
      errors,
      cores: Object.fromEntries(
        Object.entries({ ...used, other: Math.max(0, other) }).map(([name, seconds]) => [
          name,
          round(seconds / (sentFor / 1000), 3),
        ]),
      ),
    };
  };

  /** Waits until no preload of the queue runs, so one step's backlog never lands in the next. */
  const settle = async () => {
    const query = `WorkflowType = ${quote(WORKFLOW_TYPES.preload)} AND ExecutionStatus = 'Running' AND TaskQueue = ${quote(taskQueue)}`;
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline && (await client.workflow.count(query)).count > 0) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  const ramp = async (shards: number, repeat: number): Promise<Ramp> => {
    // Untimed: starts the shards of this count and warms the path.
    await drive(shards, 10, Math.max(20, shards * 2));
    await settle();
    const steps: Step[] = [];
    let maxLoginsPerSecond = 0;
    for (const rate of options.rates) {
      let held = false;
      for (let attempt = 0; attempt < 2 && !held; attempt++) {
        const step = await drive(shards, rate, Math.round(rate * options.seconds));
        held = step.lost === 0 && step.errors === 0 && step.p99Ms <= options.p99LimitMs;
        steps.push({ ...step, held, ...(attempt > 0 ? { retry: true } : {}) });
        ctx.log(
          `shards ${shards} at ${rate}/s${attempt > 0 ? ' (again)' : ''}: p50 ${Math.round(step.p50Ms)} p99 ${Math.round(step.p99Ms)} ms, ` +
            `call p99 ${Math.round(step.callP99Ms)} ms, lost ${step.lost}, cores ${JSON.stringify(step.cores)}` +
            (held ? '' : ' -> over the limit'),
        );
        await settle();
      }
      if (!held) break;
      maxLoginsPerSecond = rate;
    }
    return { shards, repeat, maxLoginsPerSecond, steps };
  };

  const ramps: Ramp[] = [];
  try {
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const order = repeat % 2 === 0 ? options.shardCounts : [...options.shardCounts].reverse();
      for (const shards of order) ramps.push(await ramp(shards, repeat));
    }
  } finally {
    await subscriber.quit().catch(() => undefined);
    await redis.config('SET', 'notify-keyspace-events', '');
    await warming.close();
  }

  const maxOf = (shards: number) => ramps.filter((r) => r.shards === shards).map((r) => r.maxLoginsPerSecond);
  const [baseShards] = options.shardCounts;
  if (baseShards === undefined) throw new Error('login-shards needs at least one shard count');
  const workload = (shards: number) =>
    `logins sent open loop over ${shards} login shard${shards === 1 ? '' : 's'}, each a new user, at ${options.rates.join(', ')} logins/s ` +
    `for ${options.seconds} s a step until the p99 from the call until session, navigation and the ${FORMS_MAX} most recent forms ` +
    `are all in Redis passes ${options.p99LimitMs} ms (or a login is lost); the last rate that held`;
  return options.shardCounts.map((shards) =>
    makeRow({
      name: `login-shards-${shards}-max-rate`,
      unit: 'logins/s',
      better: 'higher',
      baseline:
        shards === baseShards
          ? `none (the rate at which p99 passes ${options.p99LimitMs} ms)`
          : `${baseShards} shard${baseShards === 1 ? '' : 's'}, same run`,
      value: summarize(maxOf(shards)),
      baselineValue: shards === baseShards ? null : summarize(maxOf(baseShards)),
      workload: workload(shards),
      temporalPersistence: ctx.persistence,
      params: {
        shards,
        p99LimitMs: options.p99LimitMs,
        secondsPerStep: options.seconds,
        repeats: options.repeats,
        originLatencyMs: options.latencyMs,
        originConcurrency: ctx.limits.originConcurrency,
        originRatePerSecond: ctx.limits.originRatePerSecond,
        limitsMean:
          "the bench worker's origin budget (concurrency above, rate off) so the shards, not the budget, are measured; " +
          'every other setting (login shards, skip window, workflow cache) as shipped',
        coresMean:
          'CPU seconds per wall second of each process while the step sent its logins; other: the rest of the machine (2 cores in all)',
        ramps: ramps
          .filter((r) => r.shards === shards)
          .map(({ repeat, maxLoginsPerSecond, steps }) => ({
            repeat,
            maxLoginsPerSecond,
            steps,
          })),
      },
    }),
  );
}

/** CPU seconds the whole machine has been busy (every core, /proc/stat, clock ticks of 1/100 s). */
function machineBusySeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}

// login-first-read rows: what a login's first read finds, on a worker with every setting at its
// shipped default (its own process and task queue) and a config with userPreload's defaults. An
// auth service reports each login (a new user) with notifyUserLoggedIn at a steady rate; the
// share of logins whose session key is in Redis 50, 100, 200 and 500 ms after the call returned
// is the share of first reads at that delay that hit (arrival times from Redis keyspace events),
// beside the same loads started directly at the call, under the same shipped limits. Then the
// same with `waitForPreload` (a real GET right after the call returns), and a login burst with the
// application reading each user's session through the cache client: origin loads beyond one per
// user are duplicates.
import { Redis } from 'ioredis';
import { resolveLimits } from '../../activities/limits';
import { createCacheClient } from '../../cache/cache-client';
import {
  DEFAULT_LOGIN_SHARDS,
  DEFAULT_PRELOAD_WAIT_MS,
  notifyUserLoggedIn,
  type LoginNotice,
} from '../../client/notify-user-logged-in';
import { createWarmingClient } from '../../client/warming-client';
import { parseWarmingConfig } from '../../core/config-schema';
import { createRedis } from '../../config/redis-connection';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { userLoginsStatusQuery, userLoginsWorkflowId } from '../../workflows';
import type { BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { expectedFormIds } from '../bench-values';
import { directPreloader, loginOriginUrls } from '../direct-preload';
import { percentile, round, summarize } from '../stats';

export interface LoginFirstReadOptions {
  /** Logins per second of each phase. */
  rates: readonly number[];
  /** Rates at which the waiting option is measured too. */
  waitRates: readonly number[];
  seconds: number;
  repeats: number;
  /** Delays after the call returns at which a first read is looked at. */
  offsetsMs: readonly number[];
  latencyMs: { session: number; navigation: number; formsList: number; form: number };
  /** Logins sent at once in the burst phase. */
  burst: number;
}

const FORMS_MAX = 5;
/** After a phase's last login, how long its preloads may still land. */
const DRAIN_MS = 15_000;

interface Login {
  userId: string;
  sentAt: number;
  returnedAt?: number;
  failed?: boolean;
}

interface PhaseResult {
  /** Share of logins (%) whose session was in Redis by each offset after the call returned. */
  hits: number[];
  /** Ms from the call's return until every key of the login was in Redis: p50, p90, p99. */
  preloaded: { p50: number; p90: number; p99: number };
  /** Logins some key of which never arrived within DRAIN_MS. */
  unserved: number;
  /** Ms the call took (to its return): p50, p99. */
  call: { p50: number; p99: number };
}

export async function runLoginFirstRead(ctx: BenchContext, options: LoginFirstReadOptions): Promise<BenchRow[]> {
  const { stack, client, redis } = ctx;
  const lat = options.latencyMs;
  const urls = loginOriginUrls(stack.originUrl, lat);
  // Every userPreload setting left to its default but the sources themselves.
  const config = parseWarmingConfig({
    userPreload: {
      session: { loader: { type: 'http', url: urls.session }, key: 'fr:{userId}:session', ttlSeconds: 1800 },
      navigation: { loader: { type: 'http', url: urls.navigation }, key: 'fr:{userId}:navigation', ttlSeconds: 1800 },
      forms: {
        list: { type: 'http', url: urls.formsList },
        item: { type: 'http', url: urls.form },
        key: 'fr-form:{formId}',
        ttlSeconds: 1800,
      },
    },
  });
  const preload = config.userPreload;
  if (!preload?.forms || preload.forms.max !== FORMS_MAX)
    throw new Error('bench userPreload did not parse as expected');

  const taskQueue = `${stack.taskQueue}-shipped`;
  const worker = await stack.startWorker('shipped', taskQueue);
  const warming = await createWarmingClient({ client, redis, taskQueue });
  const storeRedis = createRedis({ url: stack.redis.url });
  const direct = directPreloader(new RedisCacheStore(storeRedis, redisKeys()), preload, resolveLimits());
  const reader = createCacheClient({ redis: storeRedis, flushIntervalMs: 3_600_000 });
  await redis.config('SET', 'notify-keyspace-events', 'E$');
  const subscriber = new Redis(stack.redis.url);
  const arrivals = new Map<string, number>();
  subscriber.on('message', (_channel: string, key: string) => {
    if (!arrivals.has(key)) arrivals.set(key, performance.now());
  });
  await subscriber.subscribe('__keyevent@0__:set');
  const sessionKey = (userId: string) => `fr:${userId}:session`;
  const keysOf = (userId: string) => [
    sessionKey(userId),
    `fr:${userId}:navigation`,
    ...expectedFormIds(userId, FORMS_MAX).map((formId) => `fr-form:${formId}`),
  ];
  let phase = 0;

  const system = (wait: boolean) => async (userId: string) => {
    const notice = await notifyUserLoggedIn(client, userId, { taskQueue, ...(wait ? { waitForPreload: true } : {}) });
    return notice;
  };

  /** Sends `count` logins at `rate` per second, open loop; returns when each has landed or DRAIN_MS passed. */
  const drive = async (
    rate: number,
    count: number,
    send: (userId: string) => Promise<LoginNotice | void>,
    afterReturn?: (login: Login, notice: LoginNotice | void) => Promise<void>,
  ): Promise<Login[]> => {
    const run = `fr-${phase++}-${Date.now().toString(36)}`;
    const logins: Login[] = [];
    const sends: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const login: Login = { userId: `${run}-${i}`, sentAt: performance.now() };
      logins.push(login);
      sends.push(
        send(login.userId).then(
          async (notice) => {
            login.returnedAt = performance.now();
            await afterReturn?.(login, notice);
          },
          (err: unknown) => {
            login.failed = true;
            ctx.log(`login ${login.userId} failed: ${err instanceof Error ? err.message : String(err)}`);
          },
        ),
      );
    }
    await Promise.all(sends);
    const deadline = performance.now() + DRAIN_MS;
    while (performance.now() < deadline && logins.some((l) => keysOf(l.userId).some((k) => !arrivals.has(k))))
      await new Promise((resolve) => setTimeout(resolve, 100));
    return logins;
  };

  const summarizePhase = (logins: readonly Login[]): PhaseResult => {
    const fromReturn = (login: Login, key: string) => {
      const at = arrivals.get(key);
      return at === undefined || login.returnedAt === undefined ? Infinity : at - login.returnedAt;
    };
    const hits = options.offsetsMs.map(
      (offset) => (100 * logins.filter((l) => fromReturn(l, sessionKey(l.userId)) <= offset).length) / logins.length,
    );
    const complete = logins.map((l) => Math.max(...keysOf(l.userId).map((k) => fromReturn(l, k))));
    const landed = complete.filter(Number.isFinite).map((ms) => Math.max(0, ms));
    const calls = logins.flatMap((l) => (l.returnedAt === undefined ? [] : [l.returnedAt - l.sentAt]));
    return {
      hits,
      preloaded: {
        p50: landed.length ? percentile(landed, 50) : NaN,
        p90: landed.length ? percentile(landed, 90) : NaN,
        p99: landed.length ? percentile(landed, 99) : NaN,
      },
      unserved: complete.length - landed.length,
      call: { p50: calls.length ? percentile(calls, 50) : NaN, p99: calls.length ? percentile(calls, 99) : NaN },
    };
  };

  /** Preloads shed so far on the queue's login shards. */
  const shedSoFar = async (): Promise<number> => {
    let shed = 0;
    for (let shard = 0; shard < DEFAULT_LOGIN_SHARDS; shard++) {
      try {
        const handle = client.workflow.getHandle(userLoginsWorkflowId(taskQueue, shard));
        shed += (await handle.query(userLoginsStatusQuery)).shed ?? 0;
      } catch {
        // a shard no login has reached yet
      }
    }
    return shed;
  };

  const byRate = new Map<number, { system: PhaseResult[]; direct: PhaseResult[]; shed: number; logins: number }>();
  const waited = new Map<number, { hits: number[]; added: number[]; outcomes: Record<string, number> }>();
  let burst: Record<string, number> | undefined;
  try {
    await warming.apply(config);
    // Untimed: the shards, the worker's workflow cache, connections, JIT.
    await drive(5, 20, system(false));
    await drive(5, 20, (userId) => direct.preload(userId));
    for (const rate of options.rates) {
      const entry = { system: [] as PhaseResult[], direct: [] as PhaseResult[], shed: 0, logins: 0 };
      byRate.set(rate, entry);
      const count = Math.round(rate * options.seconds);
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        const shedBefore = await shedSoFar();
        const runSystem = async () => {
          entry.system.push(summarizePhase(await drive(rate, count, system(false))));
          entry.shed += (await shedSoFar()) - shedBefore;
          entry.logins += count;
        };
        // The direct loads start at the call; the call returns at once (fire and forget, as the product's).
        const runDirect = async () =>
          void entry.direct.push(
            summarizePhase(
              await drive(rate, count, async (userId) => {
                void direct.preload(userId).catch(() => undefined);
              }),
            ),
          );
        if (repeat % 2 === 0) {
          await runSystem();
          await runDirect();
        } else {
          await runDirect();
          await runSystem();
        }
      }
    }
    for (const rate of options.waitRates) {
      const entry = { hits: [] as number[], added: [] as number[], outcomes: {} as Record<string, number> };
      waited.set(rate, entry);
      const count = Math.round(rate * options.seconds);
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        let hit = 0;
        const logins = await drive(rate, count, system(true), async (login, notice) => {
          if (notice) entry.outcomes[notice.outcome] = (entry.outcomes[notice.outcome] ?? 0) + 1;
          // The application's first read, right after the auth service's call returned.
          if ((await storeRedis.get(sessionKey(login.userId))) !== null) hit++;
        });
        entry.hits.push((100 * hit) / logins.length);
        const noWait = byRate.get(rate)?.system[repeat]?.call.p99 ?? NaN;
        entry.added.push(summarizePhase(logins).call.p99 - noWait);
      }
    }
    // A burst: the application reads every user's session soon after the login, through the cache
    // client, computing a miss from the same origin route the preload loads.
    const sessionsBefore = await stack.originRequests('session');
    const outcomes = { hit: 0, computed: 0 };
    const run = `fr-burst-${Date.now().toString(36)}`;
    await Promise.all(
      Array.from({ length: options.burst }, async (_, i) => {
        const userId = `${run}-${i}`;
        await notifyUserLoggedIn(client, userId, { taskQueue });
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 200));
        let computed = false;
        await reader.getOrCompute(
          sessionKey(userId),
          async () => {
            computed = true;
            return (await fetch(urls.session.replace('{userId}', userId))).text();
          },
          { ttlSeconds: 1800 },
        );
        outcomes[computed ? 'computed' : 'hit']++;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // preloads still loading
    burst = {
      logins: options.burst,
      sessionLoads: (await stack.originRequests('session')) - sessionsBefore,
      readsServedWithoutCompute: outcomes.hit,
      readsComputed: outcomes.computed,
    };
  } finally {
    await subscriber.quit().catch(() => undefined);
    await redis.config('SET', 'notify-keyspace-events', '');
    await reader.close();
    storeRedis.disconnect();
    await direct.stop();
    await warming.close();
    await worker.stop();
  }

  const shipped = resolveLimits();
  const params = {
    worker: 'every WARMING_* setting at its default (its own process and task queue)',
    originConcurrency: shipped.originConcurrency,
    originRatePerSecond: shipped.originRatePerSecond,
    shedAfterSeconds: preload.shedAfterSeconds,
    keysPerLogin: 2 + FORMS_MAX,
    loadsPerLogin: 3 + FORMS_MAX,
    originLatencyMs: lat,
    secondsPerPhase: options.seconds,
    repeats: options.repeats,
  };
  const rows: BenchRow[] = [];
  const common = { temporalPersistence: ctx.persistence };
  const directBaseline = 'the same loads started directly at the call (no Temporal), same shipped limits';
  for (const [rate, entry] of byRate) {
    const phaseParams = {
      ...params,
      loginsPerSecond: rate,
      logins: entry.logins,
      unserved: entry.system.map((r) => r.unserved),
      shedPreloads: entry.shed,
      directUnserved: entry.direct.map((r) => r.unserved),
      callMs: entry.system.map((r) => ({ p50: round(r.call.p50, 3), p99: round(r.call.p99, 3) })),
    };
    options.offsetsMs.forEach((offset, i) => {
      const target =
        offset === 200 && rate === 5
          ? { op: '>=' as const, value: 95, of: 'value' as const }
          : offset === 200 && rate === 10
            ? { op: '>=' as const, value: 90, of: 'value' as const }
            : undefined;
      rows.push(
        makeRow({
          ...common,
          name: `login-first-read-hits-${offset}ms-${rate}ps`,
          unit: '% hits',
          better: 'higher',
          baseline: directBaseline,
          value: summarize(entry.system.map((r) => r.hits[i] as number)),
          baselineValue: summarize(entry.direct.map((r) => r.hits[i] as number)),
          workload: `${rate} logins/s, each a new user; share of logins whose session key was in Redis ${offset} ms after notifyUserLoggedIn returned (a first read then hits)`,
          params: phaseParams,
          ...(target ? { target } : {}),
        }),
      );
    });
    const p90Target = rate === 5 ? 250 : rate === 10 ? 1_000 : undefined;
    rows.push(
      makeRow({
        ...common,
        name: `login-preloaded-p90-${rate}ps`,
        unit: 'ms',
        better: 'lower',
        baseline: directBaseline,
        value: summarize(entry.system.map((r) => r.preloaded.p90)),
        baselineValue: summarize(entry.direct.map((r) => r.preloaded.p90)),
        workload: `${rate} logins/s; 90th percentile from the call's return until all ${2 + FORMS_MAX} keys were in Redis (logins never served left out: see unserved)`,
        params: {
          ...phaseParams,
          p50: entry.system.map((r) => round(r.preloaded.p50, 3)),
          p99: entry.system.map((r) => round(r.preloaded.p99, 3)),
        },
        ...(p90Target ? { target: { op: '<=', value: p90Target, of: 'value' } } : {}),
      }),
      makeRow({
        ...common,
        name: `login-unserved-${rate}ps`,
        unit: 'logins',
        better: 'lower',
        baseline: directBaseline,
        value: summarize(entry.system.map((r) => r.unserved)),
        baselineValue: summarize(entry.direct.map((r) => r.unserved)),
        workload: `${rate} logins/s; logins some key of which was not in Redis ${DRAIN_MS / 1000} s after the phase (shed at the deadline, or failed)`,
        params: phaseParams,
        ...(rate <= 10 ? { target: { op: '<=', value: 0, of: 'value' } } : {}),
      }),
    );
  }
  for (const [rate, entry] of waited) {
    rows.push(
      makeRow({
        ...common,
        name: `login-wait-first-read-hits-${rate}ps`,
        unit: '% hits',
        better: 'higher',
        baseline: 'none (target: at least 99 % hits)',
        value: summarize(entry.hits),
        baselineValue: null,
        workload: `${rate} logins/s with waitForPreload: true (default ${DEFAULT_PRELOAD_WAIT_MS} ms); a GET of the session key right after the call returns`,
        params: { ...params, loginsPerSecond: rate, outcomes: entry.outcomes },
        target: { op: '>=', value: 99, of: 'value' },
      }),
      makeRow({
        ...common,
        name: `login-wait-added-latency-p99-${rate}ps`,
        unit: 'ms',
        better: 'lower',
        baseline: `none (target: at most the default deadline, ${DEFAULT_PRELOAD_WAIT_MS} ms)`,
        value: summarize(entry.added),
        baselineValue: null,
        workload: `${rate} logins/s; the call's p99 with waitForPreload minus its p99 without, same rate`,
        params: { ...params, loginsPerSecond: rate },
        target: { op: '<=', value: DEFAULT_PRELOAD_WAIT_MS, of: 'value' },
      }),
    );
  }
  if (burst) {
    rows.push(
      makeRow({
        ...common,
        name: 'login-burst-duplicate-origin-loads',
        unit: 'loads',
        better: 'lower',
        baseline: 'none (target: 0)',
        value: summarize([(burst.sessionLoads as number) - options.burst]),
        baselineValue: null,
        workload: `${options.burst} logins at once, the application reading each user's session 0-200 ms after its login through the cache client (a miss computed from the same origin route); session loads beyond one per user`,
        params: { ...params, ...burst },
        target: { op: '<=', value: 0, of: 'value' },
      }),
    );
  }
  return rows;
}

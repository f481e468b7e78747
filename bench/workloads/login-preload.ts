// login-to-preloaded-p50 / -p99: a sustained login rate, each login sent as the auth service
// sends it (notifyUserLoggedIn: signal-with-start of the user's session workflow), timed until
// every key the preload writes (session, navigation, 5 most recent forms) is in Redis; against
// the same loaders and the same Redis writes called directly from the process, with no Temporal.
// Arrival times come from Redis keyspace events, the same way for both.
import { Redis } from 'ioredis';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { createWarmingClient } from '../../client/warming-client';
import { Loaders } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import { resolveLimits } from '../../activities/limits';
import { RedisCacheStore } from '../../activities/redis-cache-store';
import { redisKeys } from '../../activities/redis-keys';
import { parseWarmingConfig, type LoaderSpec } from '../../core/config-schema';
import { parseFormsList, pickRecentForms } from '../../core/recent-forms';
import { expandTemplate } from '../../core/key-template';
import { createRedis } from '../../worker/environment';
import { ArrivalTracker } from '../arrival-tracker';
import { alternate, processPids, type BenchContext } from '../bench-context';
import { CpuMeter } from '../bench-stack';
import { makeRow, type BenchRow } from '../bench-report';
import { expectedFormIds } from '../bench-values';
import { userSessionWorkflowId } from '../../workflows/ids';
import { percentile, summarize } from '../stats';

export interface LoginPreloadOptions {
  loginsPerSecond: number;
  /** Length of one measured phase, per path. */
  seconds: number;
  repeats: number;
  /** Origin latency of each source, in ms. */
  latencyMs: { session: number; navigation: number; formsList: number; form: number };
}

const FORMS_MAX = 5;
const TTL_SECONDS = 1800;
/** How long after the last login of a phase a preload may still complete before it counts as lost. */
const DRAIN_MS = 30_000;

export async function runLoginPreload(ctx: BenchContext, options: LoginPreloadOptions): Promise<BenchRow[]> {
  const { stack, client, redis } = ctx;
  const origin = stack.originUrl;
  const lat = options.latencyMs;
  const userPreload = {
    session: {
      loader: { type: 'http', url: `${origin}/users/{userId}/session?ms=${lat.session}` },
      key: 'user:{userId}:session',
      ttlSeconds: TTL_SECONDS,
    },
    navigation: {
      loader: { type: 'http', url: `${origin}/users/{userId}/navigation?ms=${lat.navigation}` },
      key: 'user:{userId}:navigation',
      ttlSeconds: TTL_SECONDS,
    },
    forms: {
      list: { type: 'http', url: `${origin}/users/{userId}/forms?ms=${lat.formsList}` },
      item: { type: 'http', url: `${origin}/forms/{formId}?ms=${lat.form}` },
      key: 'form:{formId}',
      max: FORMS_MAX,
      ttlSeconds: TTL_SECONDS,
    },
    idleMinutes: 1,
  };
  const config = parseWarmingConfig({ userPreload });
  const preload = config.userPreload;
  if (!preload?.session || !preload.navigation || !preload.forms) throw new Error('bench userPreload did not parse');
  const warming = await createWarmingClient({ client, redis, taskQueue: stack.taskQueue });
  await warming.apply(config);

  // The direct path: the product's loaders and Redis writes, in this process, same limits.
  const limits = resolveLimits({
    originConcurrency: ctx.limits.originConcurrency,
    originRatePerSecond: ctx.limits.originRatePerSecond,
  });
  const limiter = new OriginLimiter(limits);
  const loaders = new Loaders({}, limiter, limits);
  const storeRedis = createRedis({ url: stack.redis.url });
  const store = new RedisCacheStore(storeRedis, redisKeys());
  const never = new AbortController().signal;
  const loadAndWrite = async (loader: LoaderSpec, keyTemplate: string, vars: Record<string, string>) => {
    const started = Date.now();
    const value = await loaders.load({ spec: loader, vars, signal: never, heartbeat: () => undefined });
    await store.writeIfNewer({
      key: expandTemplate(keyTemplate, vars),
      value,
      ttlSeconds: TTL_SECONDS,
      version: started,
      durationMs: Date.now() - started,
      source: `user:${vars.userId}`,
      tags: [`user:${vars.userId}`],
    });
  };
  const { session, navigation, forms } = {
    session: preload.session,
    navigation: preload.navigation,
    forms: preload.forms,
  };
  const directPreload = async (userId: string) => {
    await Promise.all([
      loadAndWrite(session.loader, session.key, { userId }),
      loadAndWrite(navigation.loader, navigation.key, { userId }),
      (async () => {
        const list = await loaders.load({
          spec: forms.list,
          vars: { userId },
          signal: never,
          heartbeat: () => undefined,
        });
        const ids = pickRecentForms(parseFormsList(JSON.parse(list.toString())), forms.max);
        await Promise.all(ids.map((formId) => loadAndWrite(forms.item, forms.key, { userId, formId })));
      })(),
    ]);
  };

  // Arrival of every written key, from Redis itself.
  await redis.config('SET', 'notify-keyspace-events', 'E$');
  const subscriber = new Redis(stack.redis.url);
  const tracker = new ArrivalTracker();
  subscriber.on('message', (_channel: string, key: string) => tracker.arrived(key, performance.now()));
  await subscriber.subscribe('__keyevent@0__:set');

  const expectedKeys = (userId: string) => [
    `user:${userId}:session`,
    `user:${userId}:navigation`,
    ...expectedFormIds(userId, FORMS_MAX).map((formId) => `form:${formId}`),
  ];
  const results = {
    system: {
      p50: [] as number[],
      p99: [] as number[],
      lost: 0,
      errors: 0,
      logins: 0,
      cpu: {} as Record<string, number>,
    },
    direct: {
      p50: [] as number[],
      p99: [] as number[],
      lost: 0,
      errors: 0,
      logins: 0,
      cpu: {} as Record<string, number>,
    },
  };
  let phase = 0;
  let lastSystemUsers: string[] = [];

  /** Sends logins at a fixed rate for `seconds`, open loop: a slow preload never delays the next login. */
  const drive = async (path: 'system' | 'direct', count: number, record: boolean) => {
    const run = `${path}-${phase++}-${Date.now().toString(36)}`;
    const ids: string[] = [];
    const sends: Promise<void>[] = [];
    let errors = 0;
    const intervalMs = 1000 / options.loginsPerSecond;
    const cpu = new CpuMeter(processPids(ctx));
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const userId = `bench-${run}-${i}`;
      ids.push(userId);
      tracker.expect(userId, expectedKeys(userId), performance.now());
      const sent =
        path === 'system' ? notifyUserLoggedIn(client, userId, { taskQueue: stack.taskQueue }) : directPreload(userId);
      sends.push(
        sent.catch((err: unknown) => {
          errors++;
          ctx.log(`login ${userId} (${path}) failed: ${err instanceof Error ? err.message : String(err)}`);
        }),
      );
    }
    await Promise.all(sends);
    await tracker.whenComplete(ids, DRAIN_MS);
    if (!record) return;
    if (path === 'system') lastSystemUsers = ids;
    const latencies = tracker.latencies(ids);
    const result = results[path];
    for (const [name, seconds] of Object.entries(cpu.used())) result.cpu[name] = (result.cpu[name] ?? 0) + seconds;
    result.logins += count;
    result.errors += errors;
    result.lost += tracker.incomplete(ids).length;
    if (latencies.length > 0) {
      result.p50.push(percentile(latencies, 50));
      result.p99.push(percentile(latencies, 99));
    }
  };

  const perPhase = Math.round(options.loginsPerSecond * options.seconds);
  try {
    // Untimed: the first session and preload workflows, connections, JIT.
    await drive('system', 10, false);
    await drive('direct', 10, false);
    await alternate(
      options.repeats,
      () => drive('system', perPhase, true),
      () => drive('direct', perPhase, true),
    );
  } finally {
    await subscriber.quit().catch(() => undefined);
    await redis.config('SET', 'notify-keyspace-events', '');
    storeRedis.disconnect();
    await limiter.stop();
    await warming.close();
  }
  const eventsPerLogin = await historyEventsPerLogin(ctx, lastSystemUsers.slice(0, 10));
  const { system, direct } = results;
  ctx.log(
    `login: system p50 ${system.p50.map(Math.round).join('/')} p99 ${system.p99.map(Math.round).join('/')} ms, lost ${system.lost}; ` +
      `direct p50 ${direct.p50.map(Math.round).join('/')} p99 ${direct.p99.map(Math.round).join('/')} ms, lost ${direct.lost}`,
  );
  if (system.p50.length === 0 || direct.p50.length === 0) throw new Error('no login completed');

  const params = {
    loginsPerSecond: options.loginsPerSecond,
    secondsPerPhase: options.seconds,
    repeats: options.repeats,
    logins: system.logins,
    lostLogins: system.lost,
    signalErrors: system.errors,
    baselineLogins: direct.logins,
    baselineLostLogins: direct.lost,
    keysPerLogin: 2 + FORMS_MAX,
    originLatencyMs: lat,
    loadersCriticalPathMs: Math.max(lat.session, lat.navigation, lat.formsList + lat.form),
    originConcurrency: ctx.limits.originConcurrency,
    workerMaxActivities: ctx.limits.maxActivities,
    historyEventsPerLogin: eventsPerLogin,
    cpuMsPerLogin: perLogin(system.cpu, system.logins),
    baselineCpuMsPerLogin: perLogin(direct.cpu, direct.logins),
    lostMeans: `all ${2 + FORMS_MAX} keys not in Redis ${DRAIN_MS / 1000} s after the phase's last login`,
  };
  const workload =
    `${options.loginsPerSecond} logins/s for ${options.seconds} s per phase, each a new user; ` +
    `time from the login call until session, navigation and the ${FORMS_MAX} most recent forms are all in Redis`;
  const common = {
    unit: 'ms',
    better: 'lower' as const,
    baseline: 'the same loaders and Redis writes called directly (no Temporal)',
    temporalPersistence: ctx.persistence,
    params,
  };
  return [
    makeRow({
      ...common,
      name: 'login-to-preloaded-p50',
      value: summarize(system.p50),
      baselineValue: summarize(direct.p50),
      workload: `${workload}; median per phase`,
    }),
    makeRow({
      ...common,
      name: 'login-to-preloaded-p99',
      value: summarize(system.p99),
      baselineValue: summarize(direct.p99),
      workload: `${workload}; 99th percentile per phase`,
      target: { op: '<=', value: 250, of: 'difference' },
    }),
  ];
}

/** CPU milliseconds per login for each process, from total seconds. */
function perLogin(cpu: Record<string, number>, logins: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(cpu).map(([name, seconds]) => [name, Math.round((seconds * 1000 * 10) / logins) / 10]),
  );
}

/**
 * History events one login costs: the user's session workflow (one login each here, so all of
 * it) plus its preload child, averaged over a few users.
 */
async function historyEventsPerLogin(ctx: BenchContext, userIds: readonly string[]): Promise<number | null> {
  const totals: number[] = [];
  for (const userId of userIds) {
    const session = ctx.client.workflow.getHandle(userSessionWorkflowId(userId));
    const events = (await session.fetchHistory()).events ?? [];
    const childIds = events
      .map((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
      .filter((id): id is string => typeof id === 'string');
    let count = events.length;
    for (const childId of childIds) {
      count += (await ctx.client.workflow.getHandle(childId).fetchHistory()).events?.length ?? 0;
    }
    totals.push(count);
  }
  return totals.length > 0 ? totals.reduce((a, b) => a + b, 0) / totals.length : null;
}

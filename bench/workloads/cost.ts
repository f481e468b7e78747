// warm-actions, login-actions and the per-core capacity rows: what a warm and a login cost in
// Temporal Cloud's unit (billable actions, counted from the histories by bench/billable-actions.ts)
// and in worker CPU, on a worker process with every setting at its shipped default (its own
// process and task queue) and tasks and a userPreload left to their defaults but the sources.
// Warms are scheduled warms at a sustained rate (tasks on a short interval, their starts spread
// over one interval) and forced warms of tasks at the default interval; logins a steady rate of
// new users sent as the auth service sends them. The worker's CPU is read apart from the Temporal
// server's and Redis's (/proc/<pid>/stat), over the same windows.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { createWarmingClient } from '../../client/warming-client';
import { parseWarmingConfig } from '../../core/config-schema';
import { mapLimit } from '../../core/map-limit';
import { forceWarmSignal, taskWorkflowId } from '../../workflows';
import { ArrivalTracker } from '../arrival-tracker';
import type { BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { CpuMeter, rssMiB } from '../bench-stack';
import { expectedFormIds } from '../bench-values';
import { addActionCounts, countBillableActions, type ActionCount } from '../billable-actions';
import { loginOriginUrls } from '../direct-preload';
import { round, summarize } from '../stats';
import { settledHistoryLengths } from './warm-cost';

export interface CostOptions {
  /** Tasks warming on a short interval, for the sustained scheduled warms. */
  tasks: number;
  /** Their interval: short, so the window sees several warms of each. */
  intervalMinutes: number;
  /** Measured window of scheduled warms, per repeat. */
  seconds: number;
  /** Tasks whose histories are read for the actions of a scheduled warm. */
  sample: number;
  /** Tasks at the shipped default interval, each force-warmed once per repeat. */
  forced: number;
  loginsPerSecond: number;
  loginSeconds: number;
  repeats: number;
  latencyMs: { session: number; navigation: number; formsList: number; form: number };
}

/**
 * The fewest actions the contract's shape allows. A scheduled warm: the timer it waits on and the
 * one workflow task whose local activity loads and writes the key (its marker). A login: the
 * `userLoggedIn` signal (signal-with-start: 1), the preload child (2: its intent and its start)
 * and one workflow task of the child's local activities (1).
 */
export const MINIMUM_ACTIONS = { scheduledWarm: 2, forcedWarm: 2, login: 4 } as const;

const FORMS_MAX = 5;
const IN_FLIGHT = 16;
const DRAIN_MS = 30_000;
const CLOSE_MS = 60_000;
const T = temporal.api.enums.v1.EventType;

interface Window {
  seconds: number;
  /** Warms or logins completed in the window. */
  done: number;
  /** CPU seconds per process over the window. */
  cpu: Record<string, number>;
  /** The server's own action counter over the window, by type (ServerActionMeter). */
  serverActions: Record<string, number>;
}

export async function runCost(ctx: BenchContext, options: CostOptions): Promise<BenchRow[]> {
  const { stack, client, redis } = ctx;
  const taskQueue = `${stack.taskQueue}-cost`;
  const worker = await stack.startWorker('shipped', taskQueue);
  const warming = await createWarmingClient({ client, redis, taskQueue });
  await redis.config('SET', 'notify-keyspace-events', 'E$');
  const subscriber = new Redis(stack.redis.url);
  const writes = new Map<string, number>();
  const tracker = new ArrivalTracker();
  subscriber.on('message', (_channel: string, key: string) => {
    writes.set(key, (writes.get(key) ?? 0) + 1);
    tracker.arrived(key, performance.now());
  });
  await subscriber.subscribe('__keyevent@0__:set');
  const pids = { worker: worker.pid, temporal: stack.temporal.pid, redis: stack.redis.pid };
  const writesUnder = (prefix: string) =>
    [...writes].reduce((sum, [key, n]) => (key.startsWith(prefix) ? sum + n : sum), 0);
  const until = async (what: string, done: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`cost: ${what} not in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const url = (i: number) => `${stack.originUrl}/items/${i}?ms=0`;
  const started: string[] = [];
  try {
    // Scheduled warms: tasks left to their defaults but the interval, started spread over one
    // interval so their warms arrive at a steady rate rather than in waves.
    const scheduledPrefix = 'bench:cost:scheduled:';
    const ids = Array.from({ length: options.tasks }, (_, i) => `cost-s-${i}`);
    const chunks = 10;
    const chunkSize = Math.ceil(ids.length / chunks);
    const spreadStart = performance.now();
    for (let c = 0; c < chunks; c++) {
      const due = spreadStart + (c * options.intervalMinutes * 60_000) / chunks;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const chunk = ids.slice(c * chunkSize, (c + 1) * chunkSize);
      await warming.apply({
        tasks: chunk.map((taskId) => ({
          taskId,
          cacheKey: `${scheduledPrefix}${taskId}`,
          loader: { type: 'http', url: url(Number(taskId.slice('cost-s-'.length))) },
          ttlSeconds: 3600,
          intervalMinutes: options.intervalMinutes,
          adaptive: false,
        })),
      });
      started.push(...chunk);
    }
    await until('the scheduled tasks’ first warms', () => writesUnder(scheduledPrefix) >= ids.length, 120_000);
    // Forced warms: tasks with every task setting at its default (60 min, adaptive).
    const forcedPrefix = 'bench:cost:forced:';
    const forcedIds = Array.from({ length: options.forced }, (_, i) => `cost-f-${i}`);
    await warming.apply({
      tasks: forcedIds.map((taskId, i) => ({
        taskId,
        cacheKey: `${forcedPrefix}${taskId}`,
        loader: { type: 'http', url: url(100_000 + i) },
        ttlSeconds: 3600,
      })),
    });
    started.push(...forcedIds);
    await until('the forced tasks’ first warms', () => writesUnder(forcedPrefix) >= forcedIds.length, 120_000);

    const sample = ids.slice(0, options.sample).map((id) => taskWorkflowId(id));
    const scheduled: { window: Window; actions: ActionCount; warms: number }[] = [];
    const forced: { actions: ActionCount; warms: number }[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      // Scheduled: a steady window, then the sampled tasks' histories from their first timer
      // fired in the window to their last: whole warms only.
      const lengths = await historyLengths(client, sample);
      const before = writesUnder(scheduledPrefix);
      const cpu = new CpuMeter(pids);
      const server = await ServerActionMeter.open(stack.temporal.pid);
      const windowStart = performance.now();
      await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
      const window: Window = {
        seconds: (performance.now() - windowStart) / 1000,
        done: writesUnder(scheduledPrefix) - before,
        cpu: cpu.used(),
        serverActions: await server.used(),
      };
      const histories = await mapLimit(sample, IN_FLIGHT, (id) => runEvents(client, id));
      const perTask = histories.map((events, i) => warmCycles(events, lengths[i] as number));
      scheduled.push({
        window,
        actions: addActionCounts(perTask.map((t) => t.actions)),
        warms: perTask.reduce((sum, t) => sum + t.warms, 0),
      });

      // Forced: one forceWarm each, counted from each history's growth once it settles.
      const forcedWorkflowIds = forcedIds.map((id) => taskWorkflowId(id));
      const forcedBefore = await historyLengths(client, forcedWorkflowIds);
      const target = writesUnder(forcedPrefix) + forcedIds.length;
      await mapLimit(forcedWorkflowIds, IN_FLIGHT, (id) =>
        client.workflow.getHandle(id).signal(forceWarmSignal, { reason: `bench cost ${repeat}` }),
      );
      await until('the forced warms', () => writesUnder(forcedPrefix) >= target, 120_000);
      await settledHistoryLengths(client, forcedWorkflowIds);
      const forcedHistories = await mapLimit(forcedWorkflowIds, IN_FLIGHT, (id) => runEvents(client, id));
      forced.push({
        actions: addActionCounts(
          forcedHistories.map((events, i) => countBillableActions(events.slice(forcedBefore[i] as number))),
        ),
        warms: forcedIds.length,
      });
    }
    const workerRssMiB = rssMiB(worker.pid);
    // The warms must not go on under the logins' CPU and actions.
    await terminateTasks(client, started.splice(0));

    // Logins: a userPreload left to its defaults but the sources, a steady rate of new users.
    const urls = loginOriginUrls(stack.originUrl, options.latencyMs);
    await warming.apply(
      parseWarmingConfig({
        userPreload: {
          session: { loader: { type: 'http', url: urls.session }, key: 'cost:{userId}:session', ttlSeconds: 1800 },
          navigation: {
            loader: { type: 'http', url: urls.navigation },
            key: 'cost:{userId}:navigation',
            ttlSeconds: 1800,
          },
          forms: {
            list: { type: 'http', url: urls.formsList },
            item: { type: 'http', url: urls.form },
            key: 'cost-form:{formId}',
            ttlSeconds: 1800,
          },
        },
      }),
    );
    const expected = (userId: string) => [
      `cost:${userId}:session`,
      `cost:${userId}:navigation`,
      ...expectedFormIds(userId, FORMS_MAX).map((formId) => `cost-form:${formId}`),
    ];
    const logins: { window: Window; actions: ActionCount; logins: number; lost: number }[] = [];
    const driveLogins = async (run: string, count: number) => {
      const shardsBefore = await runningShards(client, taskQueue);
      const sinceMs = Date.now() - 50;
      const cpu = new CpuMeter(pids);
      const server = await ServerActionMeter.open(stack.temporal.pid);
      const windowStart = performance.now();
      const users: string[] = [];
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const wait = windowStart + (i * 1000) / options.loginsPerSecond - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const userId = `cost-${run}-${i}`;
        users.push(userId);
        tracker.expect(userId, expected(userId), performance.now());
        sends.push(notifyUserLoggedIn(client, userId, { taskQueue }));
      }
      await Promise.all(sends);
      await tracker.whenComplete(users, DRAIN_MS);
      await untilClosed(client, taskQueue, sinceMs);
      const window: Window = {
        seconds: (performance.now() - windowStart) / 1000,
        done: count,
        cpu: cpu.used(),
        serverActions: await server.used(),
      };
      const actions = await actionsSince(client, taskQueue, sinceMs, shardsBefore);
      return { window, actions, logins: count, lost: tracker.incomplete(users).length };
    };
    await driveLogins('warmup', 10);
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      logins.push(
        await driveLogins(`r${repeat}-${Date.now().toString(36)}`, options.loginsPerSecond * options.loginSeconds),
      );
    }
    return rows(ctx, options, { scheduled, forced, logins, workerRssMiB });
  } finally {
    await subscriber.quit().catch(() => undefined);
    await redis.config('SET', 'notify-keyspace-events', '');
    await terminateTasks(client, started);
    for (const shard of (await runningShards(client, taskQueue).catch(() => new Map())).values())
      await client.workflow
        .getHandle(shard.workflowId)
        .terminate('bench done')
        .catch(() => undefined);
    await warming.close();
    await worker.stop();
  }
}

async function terminateTasks(client: Client, taskIds: readonly string[]): Promise<void> {
  await mapLimit(taskIds, IN_FLIGHT, (taskId) =>
    client.workflow
      .getHandle(taskWorkflowId(taskId))
      .terminate('bench done')
      .catch(() => undefined),
  );
}

/**
 * The Temporal server's own `action` counter (its frontend's estimate of billable actions, by
 * action type, for the `default` namespace), read from its Prometheus endpoint: a cross-check of
 * the counts from the histories. It counts every search-attribute upsert, Temporal Cloud not those
 * setting only TemporalChangeVersion.
 */
export class ServerActionMeter {
  private constructor(
    private readonly url: string,
    private readonly start: Map<string, number>,
  ) {}

  static async open(temporalPid: number): Promise<ServerActionMeter> {
    const args = readFileSync(`/proc/${temporalPid}/cmdline`, 'utf8').split('\0');
    const port = args[args.indexOf('--metrics-port') + 1];
    if (!port || !/^\d+$/.test(port))
      throw new Error(`cost: the Temporal dev server (pid ${temporalPid}) has no --metrics-port`);
    const url = `http://127.0.0.1:${port}/metrics`;
    return new ServerActionMeter(url, await ServerActionMeter.read(url));
  }

  /** Actions by type since open(). */
  async used(): Promise<Record<string, number>> {
    const now = await ServerActionMeter.read(this.url);
    const used: Record<string, number> = {};
    for (const [type, n] of now) if (n - (this.start.get(type) ?? 0) > 0) used[type] = n - (this.start.get(type) ?? 0);
    return used;
  }

  private static async read(url: string): Promise<Map<string, number>> {
    const text = await (await fetch(url)).text();
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^action\{([^}]*)\} (\S+)$/.exec(line);
      if (!match || !(match[1] as string).includes('namespace="default"')) continue;
      const type = /action_type="([^"]+)"/.exec(match[1] as string)?.[1] ?? 'unknown';
      counts.set(type, (counts.get(type) ?? 0) + Number(match[2]));
    }
    return counts;
  }
}

/**
 * The scheduled warms a task's run recorded after its first `before` events: from the first
 * timer fired after them to the last, each timer fired begins one warm.
 */
function warmCycles(
  events: temporal.api.history.v1.IHistoryEvent[],
  before: number,
): { actions: ActionCount; warms: number } {
  const fired = events.flatMap((event, i) => (i >= before && event.eventType === T.EVENT_TYPE_TIMER_FIRED ? [i] : []));
  if (fired.length < 2) return { actions: { total: 0, byRule: {} }, warms: 0 };
  return {
    actions: countBillableActions(events.slice(fired[0], fired[fired.length - 1])),
    warms: fired.length - 1,
  };
}

async function runEvents(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

async function historyLengths(client: Client, workflowIds: readonly string[]): Promise<number[]> {
  return mapLimit(workflowIds, IN_FLIGHT, async (id) =>
    Number((await client.workflow.getHandle(id).describe()).historyLength),
  );
}

/** The login shards running on the queue, by run id, with their history length. */
async function runningShards(
  client: Client,
  taskQueue: string,
): Promise<Map<string, { workflowId: string; length: number }>> {
  const shards = new Map<string, { workflowId: string; length: number }>();
  for await (const execution of client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  })) {
    if (!execution.workflowId.startsWith('user-logins:')) continue;
    const description = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
    shards.set(execution.runId, { workflowId: execution.workflowId, length: description.historyLength });
  }
  return shards;
}

/** Waits until every workflow but the shards started on the queue since `sinceMs` has closed. */
async function untilClosed(client: Client, taskQueue: string, sinceMs: number): Promise<void> {
  const deadline = Date.now() + CLOSE_MS;
  for (;;) {
    let open = 0;
    for await (const execution of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND StartTime >= '${new Date(sinceMs).toISOString()}'`,
    })) {
      if (!execution.workflowId.startsWith('user-logins:')) open++;
    }
    if (open === 0) return;
    if (Date.now() > deadline) throw new Error(`cost: ${open} preload workflows still open after ${CLOSE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The actions a login phase added on the queue: every run started since `sinceMs` (its preload
 * children, a shard started by the phase) whole, and each shard run open before it from where it was.
 */
async function actionsSince(
  client: Client,
  taskQueue: string,
  sinceMs: number,
  before: Map<string, { workflowId: string; length: number }>,
): Promise<ActionCount> {
  const counts: ActionCount[] = [];
  for await (const execution of client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND StartTime >= '${new Date(sinceMs).toISOString()}'`,
  })) {
    if (before.has(execution.runId)) continue;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    counts.push(countBillableActions(history.events ?? []));
  }
  for (const [runId, { workflowId, length }] of before) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    counts.push(countBillableActions((history.events ?? []).slice(length)));
  }
  return addActionCounts(counts);
}

interface Measured {
  scheduled: { window: Window; actions: ActionCount; warms: number }[];
  forced: { actions: ActionCount; warms: number }[];
  logins: { window: Window; actions: ActionCount; logins: number; lost: number }[];
  workerRssMiB: number;
}

function rows(ctx: BenchContext, options: CostOptions, m: Measured): BenchRow[] {
  const perWarm = m.scheduled.map((s) => s.actions.total / s.warms);
  const perForced = m.forced.map((f) => f.actions.total / f.warms);
  const perLogin = m.logins.map((l) => l.actions.total / l.logins);
  const byRuleEach = (counts: { actions: ActionCount }[], n: (i: number) => number) =>
    counts.map((c, i) =>
      Object.fromEntries(Object.entries(c.actions.byRule).map(([rule, count]) => [rule, round(count / n(i), 3)])),
    );
  /** CPU ms of each process per warm or login, and the worker's rate per core. */
  const cpuEach = (windows: Window[]) => windows.map((w) => mapValues(w.cpu, (s) => round((s * 1000) / w.done, 3)));
  const perCore = (windows: Window[]) => windows.map((w) => w.done / (w.cpu.worker as number));
  const warmWindows = m.scheduled.map((s) => s.window);
  const loginWindows = m.logins.map((l) => l.window);
  /** The server's own action counter per warm or login of each window, by type (all tasks' warms, not the sample's). */
  const serverPer = (windows: Window[]) => windows.map((w) => mapValues(w.serverActions, (n) => round(n / w.done, 3)));
  const pricing = {
    source: 'https://docs.temporal.io/cloud/actions and https://docs.temporal.io/cloud/pricing, read 2026-12-03',
  };
  const common = { temporalPersistence: ctx.persistence };
  const shipped = 'worker with every WARMING_* setting at its shipped default, on a task queue of its own';
  const warmWorkload =
    `${options.tasks} tasks at intervalMinutes ${options.intervalMinutes} (not adaptive), started over one interval; ` +
    `${options.seconds} s windows of their scheduled warms; ${shipped}`;
  const loginWorkload =
    `${options.loginsPerSecond} logins/s for ${options.loginSeconds} s, each a new user, userPreload at its defaults ` +
    `(7 keys from 8 origin loads of ${options.latencyMs.form}-${options.latencyMs.navigation} ms); ${shipped}`;
  return [
    makeRow({
      ...common,
      name: 'warm-actions',
      unit: 'actions',
      better: 'lower',
      baseline: `the minimum the shape allows: ${MINIMUM_ACTIONS.scheduledWarm} (the timer it waits on, one workflow task of local activities)`,
      value: summarize(perWarm),
      baselineValue: summarize([MINIMUM_ACTIONS.scheduledWarm]),
      workload: `${warmWorkload}; Temporal Cloud billable actions per scheduled warm, counted from ${options.sample} tasks' histories (bench/billable-actions.ts)`,
      params: {
        ...pricing,
        warmsCounted: m.scheduled.map((s) => s.warms),
        serverActionMetricPerWarm: serverPer(warmWindows),
        byRulePerWarm: byRuleEach(m.scheduled, (i) => (m.scheduled[i] as { warms: number }).warms),
        forcedWarmActions: perForced.map((a) => round(a, 3)),
        forcedByRulePerWarm: byRuleEach(m.forced, (i) => (m.forced[i] as { warms: number }).warms),
        forcedMinimum: MINIMUM_ACTIONS.forcedWarm,
        forcedTasks: `${options.forced} tasks with every task setting at its default (intervalMinutes 60, adaptive), one forceWarm each per repeat`,
      },
    }),
    makeRow({
      ...common,
      name: 'login-actions',
      unit: 'actions',
      better: 'lower',
      baseline: `the minimum the shape allows: ${MINIMUM_ACTIONS.login} (the signal, the preload child's 2, one workflow task of its local activities)`,
      value: summarize(perLogin),
      baselineValue: summarize([MINIMUM_ACTIONS.login]),
      workload: `${loginWorkload}; Temporal Cloud billable actions per login, every workflow the login touched (bench/billable-actions.ts)`,
      params: {
        ...pricing,
        logins: m.logins.map((l) => l.logins),
        lostLogins: m.logins.reduce((sum, l) => sum + l.lost, 0),
        serverActionMetricPerLogin: serverPer(loginWindows),
        byRulePerLogin: byRuleEach(m.logins, (i) => (m.logins[i] as { logins: number }).logins),
      },
    }),
    makeRow({
      ...common,
      name: 'warm-capacity-per-core',
      unit: 'warms/s',
      better: 'higher',
      baseline: 'none (a capacity: warms per second of worker CPU)',
      value: summarize(perCore(warmWindows)),
      baselineValue: null,
      workload: `${warmWorkload}; scheduled warms per second one worker core carries (warms / worker CPU seconds)`,
      params: {
        warmsPerSecond: warmWindows.map((w) => round(w.done / w.seconds, 3)),
        cpuMsPerWarm: cpuEach(warmWindows),
        workerRssMiB: round(m.workerRssMiB, 1),
        tasksInWorker: options.tasks + options.forced,
        cpuMeans: 'user + system CPU of each process (/proc/<pid>/stat) over the window, divided by the warms in it',
      },
    }),
    makeRow({
      ...common,
      name: 'login-capacity-per-core',
      unit: 'logins/s',
      better: 'higher',
      baseline: 'none (a capacity: logins per second of worker CPU)',
      value: summarize(perCore(loginWindows)),
      baselineValue: null,
      workload: `${loginWorkload}; logins per second one worker core carries (logins / worker CPU seconds, to every preload closed)`,
      params: {
        loginsPerSecond: options.loginsPerSecond,
        cpuMsPerLogin: cpuEach(loginWindows),
        cpuMeans:
          'user + system CPU of each process (/proc/<pid>/stat) from the first login until every preload closed, divided by the logins',
      },
    }),
  ];
}

function mapValues(record: Record<string, number>, f: (value: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

#!/usr/bin/env node
// warmctl: a thin shell over the warming client. Exit 0 on success; otherwise one line on
// stderr and a non-zero exit (2 for a bad command line, 1 for everything else).
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../core/config-schema';
import { formatDurationMs, parseDurationMs } from '../core/durations';
import type { TaskStatus, WarmOutcome } from '../workflows/definitions';
import { readEnvironment } from '../worker/environment';
import { userIdProblem } from '../core/user-login';
import { userSessionWorkflowId } from '../workflows/ids';
import { loadConfigFile } from './config-file';
import { notifyUserLoggedIn } from './notify-user-logged-in';
import { formatTable, formatTime } from './format-table';
import { createWarmingClient, type WarmingClient, type WarmRunReport } from './warming-client';
import type { WarmingStats } from './history-stats';
import { WARM_COUNTER_COLUMNS, warmCounterCells } from '../core/warm-stats';
import { renderHtmlReport } from './html-report';
import { checkReportPath, writeReportFile } from './report-file';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** A usage error: exit code 2. */
class UsageError extends Error {}

function taskIdArg(value: string): string {
  if (!TASK_ID.test(value))
    throw new InvalidArgumentError('a task id is 1-128 letters, digits, . _ - (starting with a letter or digit)');
  return value;
}

function tagArg(value: string): string {
  if (!TAG.test(value))
    throw new InvalidArgumentError('a tag is 1-64 letters, digits, . _ : - (starting with a letter or digit)');
  return value;
}

function userIdArg(value: string): string {
  const problem = userIdProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function durationArg(value: string): number {
  try {
    return parseDurationMs(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** The longest `--since` window: far beyond any namespace's retention, and still a valid date. */
const MAX_WINDOW_MS = 3650 * 86_400_000;

function windowArg(value: string): number {
  const ms = durationArg(value);
  if (ms > MAX_WINDOW_MS) throw new InvalidArgumentError('a window is at most 3650d');
  return ms;
}

function htmlFileArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('needs a file name');
  return value;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function withClient<T>(fn: (client: WarmingClient) => Promise<T>): Promise<T> {
  const client = await createWarmingClient();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

function describeOutcome(taskId: string, outcome: WarmOutcome): string {
  if (!outcome.ok)
    return `warm of ${taskId} failed after ${formatDurationMs(outcome.durationMs)}: ${outcome.error ?? 'unknown error'}`;
  const result = outcome.result;
  const kept = result && !result.written ? ' (a newer value was already stored; kept it)' : '';
  return `warmed ${taskId} in ${formatDurationMs(outcome.durationMs)}: ${result?.sizeBytes ?? 0} bytes at ${result?.cacheKey ?? '?'}${kept}`;
}

function printRun(report: WarmRunReport, what: string): void {
  if (report.results.length === 0) {
    console.log(`no tasks matched ${what}`);
    return;
  }
  console.log(
    formatTable(
      ['TASK', 'PRIORITY', 'CRITICAL', 'RESULT', 'DURATION'],
      report.results.map((r) => [
        r.taskId,
        String(r.priority),
        r.critical ? 'yes' : 'no',
        r.ok ? 'ok' : `failed: ${r.error ?? ''}`,
        formatDurationMs(r.durationMs),
      ]),
    ),
  );
  console.log(`${report.succeeded} warmed, ${report.failed} failed, total ${formatDurationMs(report.totalDurationMs)}`);
}

/** The user-preload line under `warmctl stats`' table: count, latency and failures. */
function preloadLine(stats: WarmingStats, taskId: string | undefined): string {
  if (taskId) return 'user preloads: left out (they belong to no task)';
  if (stats.userPreloads === 0)
    return `user preloads: 0${stats.preloadFailures.unfinished ? ` (${stats.preloadFailures.unfinished} unfinished)` : ''}`;
  const l = stats.preloadLatency;
  const f = stats.preloadFailures;
  const ms = (n: number) => formatDurationMs(n);
  const failed = Object.entries(f.bySource)
    .filter(([, n]) => n > 0)
    .map(([source, n]) => `${source} ${n}`);
  return (
    `user preloads: ${stats.userPreloads}; latency avg ${ms(l.avgMs)}, p50 ${ms(l.p50Ms)}, p95 ${ms(l.p95Ms)}, ` +
    `p99 ${ms(l.p99Ms)}, slowest ${ms(l.slowestMs)}` +
    (failed.length ? `; failed sources: ${failed.join(', ')}` : '') +
    (f.unfinished ? `; ${f.unfinished} unfinished` : '')
  );
}

function statusRows(tasks: TaskStatus[]): string[][] {
  return tasks.map((t) => [
    t.taskId,
    t.cacheKey,
    `${t.intervalMinutes}m`,
    t.critical ? 'yes' : 'no',
    formatTime(t.lastWarmAt),
    formatTime(t.nextWarmAt),
    t.state,
    `${t.warmCount}/${t.failureCount}`,
  ]);
}

export function buildProgram(): Command {
  const program = new Command('warmctl')
    .description('Operate durable cache warming on Temporal (environment: TEMPORAL_ADDRESS, REDIS_URL, ...)')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });

  program
    .command('apply')
    .description('validate a config file and start or update its task workflows (idempotent)')
    .option('-f, --file <path>', 'config file (JSON or YAML)', readEnvironment().configPath)
    .option('--prune', 'also remove running tasks that are not in the file')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { file: string; prune?: boolean; json?: boolean }) => {
      const config = loadConfigFile(opts.file);
      const report = await withClient((client) => client.apply(config, { prune: opts.prune }));
      if (opts.json) return printJson(report);
      for (const task of report.tasks) {
        console.log(
          `${task.action.padEnd(9)} ${task.taskId}${task.fields?.length ? ` (${task.fields.join(', ')})` : ''}`,
        );
      }
      console.log(
        `applied ${opts.file}: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged` +
          `${report.removed ? `, ${report.removed} removed` : ''}; ${report.patterns} patterns; user preload ${report.userPreload ? 'on' : 'off'}`,
      );
    });

  program
    .command('tasks')
    .description('list scheduled tasks')
    .option('--json', 'print an array of status objects')
    .action(async (opts: { json?: boolean }) => {
      const tasks = await withClient((client) => client.listTasks());
      if (opts.json) return printJson(tasks);
      if (tasks.length === 0) return console.log('no tasks scheduled');
      console.log(
        formatTable(
          ['TASK', 'KEY', 'INTERVAL', 'CRITICAL', 'LAST WARM', 'NEXT WARM', 'STATE', 'WARMS/FAILS'],
          statusRows(tasks),
        ),
      );
    });

  program
    .command('status')
    .description("one task's status")
    .argument('<task>', 'task id', taskIdArg)
    .option('--json', 'print the status object')
    .action(async (taskId: string, opts: { json?: boolean }) => {
      const status = await withClient((client) => client.status(taskId));
      if (opts.json) return printJson(status);
      const rows: [string, string][] = [
        ['task', `${status.taskId} (${status.name})`],
        ['key', status.cacheKey],
        [
          'interval',
          `${status.intervalMinutes} min${status.adaptive ? ` (adaptive; configured ${status.configuredIntervalMinutes})` : ''}`,
        ],
        ['priority', `${status.priority}${status.critical ? ', critical' : ''}`],
        ['tags', status.tags.join(', ') || '-'],
        ['state', status.state],
        ['last warm', status.lastWarmAt ?? 'never'],
        ['next warm', status.nextWarmAt ?? '-'],
        ['warms', `${status.warmCount} ok, ${status.failureCount} failed`],
        ['last error', status.lastError ?? '-'],
      ];
      for (const [label, value] of rows) console.log(`${label.padEnd(10)} ${value}`);
    });

  program
    .command('warm')
    .description('warm now and wait for the result: one task, every task with a tag, or all critical tasks')
    .argument('[task]', 'task id', taskIdArg)
    .option('--tag <tag>', 'every task carrying this tag', tagArg)
    .option('--critical', 'every critical task, highest priority first')
    .option('--parallel <n>', 'how many at once with --tag/--critical (default 1)', positiveIntArg)
    .option('--no-wait', 'return once the warm is requested')
    .option('--reason <text>', 'recorded with the warm')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        taskId: string | undefined,
        opts: { tag?: string; critical?: boolean; parallel?: number; wait: boolean; reason?: string; json?: boolean },
      ) => {
        const targets = [taskId !== undefined, opts.tag !== undefined, opts.critical === true].filter(Boolean).length;
        if (targets !== 1) throw new UsageError('warm takes exactly one of: TASK, --tag T, --critical');
        if (opts.parallel !== undefined && taskId !== undefined)
          throw new UsageError('--parallel goes with --tag or --critical');
        await withClient(async (client) => {
          if (taskId !== undefined) {
            const outcome = await client.warm(taskId, { reason: opts.reason ?? 'warmctl', wait: opts.wait });
            if (opts.json) return printJson(outcome ?? { requested: true, taskId });
            if (!outcome) return console.log(`requested a warm of ${taskId}`);
            if (!outcome.ok) throw new Error(describeOutcome(taskId, outcome));
            return console.log(describeOutcome(taskId, outcome));
          }
          const options = { parallel: opts.parallel, wait: opts.wait };
          const report = opts.tag ? await client.warmByTag(opts.tag, options) : await client.warmCritical(options);
          if (opts.json) printJson(report);
          else printRun(report, opts.tag ? `tag ${opts.tag}` : 'critical');
          if (report.failed > 0) throw new Error(`${report.failed} of ${report.results.length} warms failed`);
        });
      },
    );

  for (const [name, verb] of [
    ['pause', 'stop scheduled warms of a task (forced warms still run)'],
    ['resume', 'resume scheduled warms of a paused task'],
  ] as const) {
    program
      .command(name)
      .description(verb)
      .argument('<task>', 'task id', taskIdArg)
      .action(async (taskId: string) => {
        await withClient((client) => (name === 'pause' ? client.pause(taskId) : client.resume(taskId)));
        console.log(`${name === 'pause' ? 'paused' : 'resumed'} ${taskId}`);
      });
  }

  program
    .command('remove')
    .description("stop and remove a task's schedule (the cached value stays until its TTL)")
    .argument('<task>', 'task id', taskIdArg)
    .action(async (taskId: string) => {
      const final = await withClient((client) => client.remove(taskId, 'warmctl remove'));
      console.log(`removed ${taskId} after ${final.warmCount} warms (${final.failureCount} failed)`);
    });

  program
    .command('login')
    .description("report a login exactly as the auth service does: preload the user's session, navigation and forms")
    .argument('<user>', 'user id', userIdArg)
    .option('--force', 'preload even if the user was preloaded within skipIfWarmedWithinMinutes')
    .option('--no-forms', "leave the user's forms out")
    .option('--json', 'print what was sent as JSON')
    .action(async (userId: string, opts: { force?: boolean; forms: boolean; json?: boolean }) => {
      const options = { ...(opts.force ? { force: true } : {}), ...(opts.forms ? {} : { preloadForms: false }) };
      await withClient((client) =>
        notifyUserLoggedIn(client.temporal, userId, { ...options, taskQueue: client.taskQueue }),
      );
      if (opts.json)
        return printJson({
          workflowId: userSessionWorkflowId(userId),
          signal: 'userLoggedIn',
          payload: { userId, ...options },
        });
      console.log(
        `reported the login of ${userId}${opts.force ? ' (force)' : ''}${opts.forms ? '' : ', without forms'}`,
      );
    });

  program
    .command('optimize')
    .description('run one optimiser cycle now: re-plan adaptive intervals, warm hot keys, critical pass')
    .option('--json', 'print the cycle report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await withClient((client) => client.optimize());
      if (opts.json) return printJson(report);
      console.log(
        `cycle ${report.cycle}: ${report.tasksOptimized} of ${report.adaptiveTasks} adaptive tasks re-planned in ${formatDurationMs(report.durationMs)}`,
      );
      if (report.changes.length > 0) {
        console.log(
          formatTable(
            ['TASK', 'KEY', 'ACCESSES/MIN', 'INTERVAL'],
            report.changes.map((c) => [
              c.taskId,
              c.cacheKey,
              String(c.accessesPerMinute),
              `${c.fromMinutes}m -> ${c.toMinutes}m`,
            ]),
          ),
        );
      }
      const p = report.patternKeys;
      console.log(
        `hot keys ${report.hotKeys}: ${report.taskWarms.length} task warms forced, ${p.warmed} pattern keys warmed in ${p.batches} batches` +
          `${p.failed ? `, ${p.failed} failed` : ''}${report.unmatchedHotKeys ? `, ${report.unmatchedHotKeys} hot keys match no task or pattern` : ''}`,
      );
      if (report.skippedTasks.length > 0) console.log(`not running (skipped): ${report.skippedTasks.join(', ')}`);
    });

  program
    .command('optimizer')
    .description('inspect, stop or restart the background optimiser')
    .argument('<action>', 'status, pause or resume', (value: string) => {
      if (!['status', 'pause', 'resume'].includes(value))
        throw new InvalidArgumentError('must be status, pause or resume');
      return value as 'status' | 'pause' | 'resume';
    })
    .option('--json', 'print the status as JSON')
    .action(async (action: 'status' | 'pause' | 'resume', opts: { json?: boolean }) => {
      await withClient(async (client) => {
        if (action !== 'status') {
          await client.pauseOptimizer(action === 'pause');
          return console.log(`optimizer ${action === 'pause' ? 'paused' : 'resumed'}`);
        }
        const status = await client.optimizerStatus();
        if (opts.json) return printJson(status);
        console.log(
          `optimizer ${status.paused ? 'paused' : 'running'}: ${status.cycles} cycles, every ${status.everyMinutes} min, next ${status.nextCycleAt ?? '-'}`,
        );
      });
    });

  program
    .command('invalidate')
    .description('delete every key with a tag; with --rewarm, warm the owners of the deleted keys again')
    .requiredOption('--tag <tag>', 'the tag', tagArg)
    .option('--rewarm', "re-warm the deleted keys' tasks (and tasks carrying the tag) and pattern keys")
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tag: string; rewarm?: boolean; json?: boolean }) => {
      const result = await withClient((client) => client.invalidateTag(opts.tag, { rewarm: opts.rewarm }));
      const rewarm = result.rewarm;
      const patternFailures = rewarm?.patterns.reduce((sum, p) => sum + p.failed, 0) ?? 0;
      if (!opts.json) {
        console.log(`deleted ${result.keys.length} key${result.keys.length === 1 ? '' : 's'} tagged ${opts.tag}`);
        if (rewarm) {
          printRun(rewarm, `tag ${opts.tag}`);
          for (const p of rewarm.patterns)
            console.log(`pattern ${p.match}: ${p.warmed} of ${p.keys} keys warmed, ${p.failed} failed`);
          if (rewarm.unowned.length > 0)
            console.log(`${rewarm.unowned.length} deleted keys belong to no task or pattern: not re-warmed`);
        }
      } else printJson(result);
      if (rewarm && rewarm.failed + patternFailures > 0)
        throw new Error(`${rewarm.failed + patternFailures} re-warms failed`);
    });

  program
    .command('stats')
    .description('warming statistics from Temporal history: counts, durations, efficiency')
    .option('--task <task>', 'only this task', taskIdArg)
    .option('--since <duration>', 'only warms and preloads in this recent window, e.g. 30m, 24h, 7d', windowArg)
    .option('--json', 'print the statistics as JSON')
    .action(async (opts: { task?: string; since?: number; json?: boolean }) => {
      const stats = await withClient((client) =>
        client.stats({
          ...(opts.task ? { taskId: opts.task } : {}),
          ...(opts.since ? { sinceMs: Date.now() - opts.since } : {}),
        }),
      );
      if (opts.json) return printJson(stats);
      console.log(
        formatTable(
          ['TASK', ...WARM_COUNTER_COLUMNS.map((column) => column.toUpperCase())],
          [...Object.entries(stats.byTask), ['(all)', stats] as const].map(([taskId, c]) => [
            taskId,
            ...warmCounterCells(c, '-'),
          ]),
        ),
      );
      console.log(preloadLine(stats, opts.task));
      if (stats.since) console.log(`since ${stats.since}`);
    });

  program
    .command('report')
    .description('write a self-contained HTML report: warm durations, useful vs wasted, intervals, preload latency')
    .requiredOption('--html <file>', 'the HTML file to write (replaced if it exists)', htmlFileArg)
    .option('--task <task>', 'only this task (user preloads are left out)', taskIdArg)
    .option('--since <duration>', 'only this recent window, e.g. 30m, 24h, 7d', windowArg)
    .action(async (opts: { html: string; task?: string; since?: number }) => {
      checkReportPath(opts.html);
      const data = await withClient((client) =>
        client.reportData({
          ...(opts.task ? { taskId: opts.task } : {}),
          ...(opts.since ? { sinceMs: Date.now() - opts.since } : {}),
        }),
      );
      writeReportFile(opts.html, renderHtmlReport(data));
      const s = data.stats;
      const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
      console.log(
        `wrote ${opts.html}: ${count(s.totalWarmings, 'warm')} of ${count(Object.keys(s.byTask).length, 'task')}, ` +
          `${count(s.userPreloads, 'user preload')}`,
      );
    });

  return program;
}

/** Runs warmctl with argv (without node and script); resolves with the exit code. */
export async function runWarmctl(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    if (argv.length === 0) {
      process.stdout.write(program.helpInformation());
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version')
        return 0;
      process.stderr.write(`warmctl: ${oneLine(err.message.replace(/^error: /, ''))}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`warmctl: ${oneLine(err.message)}\n`);
      return 2;
    }
    const message =
      err instanceof ConfigError ? `invalid config: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`warmctl: ${message.split('\n')[0]}\n`);
    return 1;
  }
}

/** Line breaks escaped (`\\n`), so an argument quoted in a message cannot split it over lines. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
}

if (require.main === module) {
  runWarmctl(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`warmctl: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

#!/usr/bin/env node
// warmctl: a thin shell over the warming client. Exit 0 on success; otherwise one line on
// stderr and a non-zero exit (2 for a bad command line, 1 for everything else). Global options
// (connection, --json / -o json) work before or after the command, as in the Temporal CLI.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loaderSchema } from '../core/config-schema';
import { redact } from '../core/redact';
import { formatDurationMs, parseDurationMs } from '../core/durations';
import type { TaskStatus, WarmOutcome } from '../workflows/definitions';
import { readEnvironment } from '../config/environment';
import { addConnectionFlags, ConflictingFlagsError, environmentWithFlags, normalizeSwitches } from './connection-flags';
import { createProgress } from './progress';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from './shell-completion';
import { userIdProblem } from '../core/user-login';
import { loadConfigFile } from '../config/config-file';
import { loginShardWorkflowId, notifyUserLoggedIn } from './notify-user-logged-in';
import { formatTable, formatTime } from './format-table';
import { createWarmingClient, type WarmingClient, type WarmRunReport } from './warming-client';
import type { WarmingStats } from './history-stats';
import { WARM_COUNTER_COLUMNS, warmCounterCells } from '../core/warm-stats';
import { renderHtmlReport } from './html-report';
import { checkReportPath, writeReportFile } from './report-file';
import { oneLine } from '../core/one-line';
import { readKeyList } from './key-list';
import { traceCommand } from '../tracing/command-tracing';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** `import` prints this many refused lines; `--json` has them all. */
const MAX_LISTED_REFUSALS = 20;

/** Above this many tasks, `apply` prints its summary without a line per task. */
const MAX_LISTED_TASKS = 100;

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

function fileArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('needs a file name, or - for stdin');
  return value;
}

function loaderArg(value: string): string {
  if (!loaderSchema([]).safeParse({ type: 'custom', name: value }).success)
    throw new InvalidArgumentError('a loader name is an identifier such as loadCatalog (letters, digits, _ . -)');
  return value;
}

/** The longest TTL a value may have, as the config allows: 10 years. */
const MAX_TTL_MS = 3650 * 86_400_000;

function ttlArg(value: string): number {
  const ms = durationArg(value);
  if (ms < 1000 || ms % 1000 !== 0 || ms > MAX_TTL_MS)
    throw new InvalidArgumentError('a TTL is whole seconds from 1s to 3650d');
  return ms;
}

function collectTags(value: string, previous: string[]): string[] {
  return [...previous, tagArg(value)];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** What every action needs from the global options: output format and the effective environment. */
interface Context {
  json: boolean;
  env: NodeJS.ProcessEnv;
}

function contextOf(command: Command): Context {
  const globals = command.optsWithGlobals<Record<string, unknown>>();
  let env: NodeJS.ProcessEnv;
  try {
    env = environmentWithFlags(globals);
  } catch (err) {
    if (err instanceof ConflictingFlagsError) throw new UsageError(err.message);
    throw err;
  }
  return { json: globals.json === true || globals.output === 'json', env };
}

async function withClient<T>(context: Context, fn: (client: WarmingClient) => Promise<T>): Promise<T> {
  const client = await createWarmingClient({
    env: context.env,
    logger: { warn: (message) => process.stderr.write(`warmctl: warning: ${redact(oneLine(message))}\n`) },
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Runs `fn` with a progress line on stderr (a terminal only) that it clears afterwards. */
async function withProgress<T>(label: string, fn: (onProgress: (done: number, total: number) => void) => Promise<T>) {
  const progress = createProgress(label);
  try {
    return await fn((done, total) => progress.update(done, total));
  } finally {
    progress.end();
  }
}

/** package.json's version: beside dist/ when built, or the source tree's. */
function packageVersion(): string {
  for (const dir of [resolve(__dirname, '..', '..'), resolve(__dirname, '..')]) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'temporal-cache-warmer' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

function describeOutcome(taskId: string, outcome: WarmOutcome): string {
  if (!outcome.ok)
    return `warm of ${taskId} failed after ${formatDurationMs(outcome.durationMs)}: ${outcome.error ?? 'unknown error'}`;
  const result = outcome.result;
  const kept = result && !result.written ? ' (a newer value was already stored; kept it)' : '';
  return `warmed ${taskId} in ${formatDurationMs(outcome.durationMs)}: ${result?.sizeBytes ?? 0} bytes at ${result?.cacheKey ?? '?'}${kept}`;
}

function printRun(report: WarmRunReport, what: string): void {
  if (report.requested !== undefined) {
    console.log(`requested a warm of ${report.requested} tasks (${what})`);
    return;
  }
  if (report.results.length === 0) {
    console.log(`no tasks matched ${what}`);
    return;
  }
  // A fleet's run lists its failures only: one line per task would bury them.
  const rows = report.results.length <= MAX_LISTED_TASKS ? report.results : report.results.filter((r) => !r.ok);
  if (rows.length > 0) {
    console.log(
      formatTable(
        ['TASK', 'PRIORITY', 'CRITICAL', 'RESULT', 'DURATION'],
        rows.map((r) => [
          r.taskId,
          String(r.priority),
          r.critical ? 'yes' : 'no',
          r.ok ? 'ok' : `failed: ${r.error ?? ''}`,
          r.durationMs === undefined ? '-' : formatDurationMs(r.durationMs),
        ]),
      ),
    );
  }
  const seconds = report.totalDurationMs / 1000;
  console.log(
    `${report.succeeded} warmed, ${report.failed} failed, total ${formatDurationMs(report.totalDurationMs)}` +
      `${seconds > 0 && report.results.length > 1 ? ` (${Math.round((10 * report.results.length) / seconds) / 10} warms/s)` : ''}`,
  );
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
    (f.shed ? `; ${f.shed} shed at the deadline` : '') +
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
    .description(
      'Operate durable cache warming on Temporal. Connection options beat their environment variables, ' +
        'which beat the profile in the Temporal config file.',
    )
    .usage('[options] <command> [command options]')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeErr: () => undefined });
  addConnectionFlags(program);
  program
    .option('--json', 'print one JSON document on stdout (same as -o json)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']))
    .option('-v, --version', "print warmctl's version")
    .action((opts: { version?: boolean }, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) throw new UsageError(`unknown command '${unknown}'`);
      if (!opts.version) {
        process.stdout.write(program.helpInformation());
        return;
      }
      const version = packageVersion();
      if (contextOf(command).json) return printJson({ version });
      console.log(version);
    });

  program
    .command('apply')
    .description('validate a config file and start or update its task workflows (idempotent)')
    .option('-f, --file <path>', 'config file (JSON or YAML); default WARMING_CONFIG or warming.config.json')
    .option('--prune', 'also remove running tasks that are not in the file')
    .action(async (opts: { file?: string; prune?: boolean }, command: Command) => {
      const context = contextOf(command);
      const file = opts.file ?? readEnvironment(context.env).configPath;
      const config = loadConfigFile(file);
      const report = await withClient(context, (client) =>
        withProgress(`applying ${file}`, (onProgress) => client.apply(config, { prune: opts.prune, onProgress })),
      );
      if (context.json) return printJson(report);
      // A fleet's apply prints its summary only: one line per task would bury it.
      const listed = report.tasks.length <= MAX_LISTED_TASKS ? report.tasks : [];
      for (const task of listed) {
        console.log(
          `${task.action.padEnd(9)} ${task.taskId}${task.fields?.length ? ` (${task.fields.join(', ')})` : ''}`,
        );
      }
      const seconds = report.durationMs / 1000;
      console.log(
        `applied ${file}: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged` +
          `${report.removed ? `, ${report.removed} removed` : ''}; ${report.patterns} patterns; user preload ${report.userPreload ? 'on' : 'off'}` +
          `; ${formatDurationMs(report.durationMs)}${seconds > 0 ? ` (${Math.round(report.tasks.length / seconds)} tasks/s)` : ''}`,
      );
    });

  program
    .command('tasks')
    .description('list scheduled tasks (JSON: an array of status objects)')
    .action(async (_opts: unknown, command: Command) => {
      const context = contextOf(command);
      const tasks = await withClient(context, (client) => client.listTasks());
      if (context.json) return printJson(tasks);
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
    .action(async (taskId: string, _opts: unknown, command: Command) => {
      const context = contextOf(command);
      const status = await withClient(context, (client) => client.status(taskId));
      if (context.json) return printJson(status);
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
    .option(
      '--parallel <n>',
      'with --tag/--critical: signals in flight where the server runs no batch job (default 16)',
      positiveIntArg,
    )
    .option('--no-wait', 'return once the warm is requested')
    .option('--reason <text>', 'recorded with the warm')
    .action(
      async (
        taskId: string | undefined,
        opts: { tag?: string; critical?: boolean; parallel?: number; wait: boolean; reason?: string },
        command: Command,
      ) => {
        const context = contextOf(command);
        const targets = [taskId !== undefined, opts.tag !== undefined, opts.critical === true].filter(Boolean).length;
        if (targets !== 1) throw new UsageError('warm takes exactly one of: TASK, --tag T, --critical');
        if (opts.parallel !== undefined && taskId !== undefined)
          throw new UsageError('--parallel goes with --tag or --critical');
        await withClient(context, async (client) => {
          if (taskId !== undefined) {
            const outcome = await client.warm(taskId, { reason: opts.reason ?? 'warmctl', wait: opts.wait });
            if (context.json) return printJson(outcome ?? { requested: true, taskId });
            if (!outcome) return console.log(`requested a warm of ${taskId}`);
            if (!outcome.ok) throw new Error(describeOutcome(taskId, outcome));
            return console.log(describeOutcome(taskId, outcome));
          }
          const report = await withProgress(
            opts.tag ? `warming tag ${opts.tag}` : 'warming critical tasks',
            (onProgress) => {
              const options = { parallel: opts.parallel, wait: opts.wait, onProgress };
              return opts.tag ? client.warmByTag(opts.tag, options) : client.warmCritical(options);
            },
          );
          if (context.json) printJson(report);
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
      .description(`${verb}; --tag T: every task with the tag (one batch signal)`)
      .argument('[task]', 'task id', taskIdArg)
      .option('--tag <tag>', 'every task carrying this tag', tagArg)
      .action(async (taskId: string | undefined, opts: { tag?: string }, command: Command) => {
        const context = contextOf(command);
        const paused = name === 'pause';
        if ((taskId === undefined) === (opts.tag === undefined))
          throw new UsageError(`${name} takes exactly one of: TASK, --tag T`);
        if (opts.tag !== undefined) {
          const tag = opts.tag;
          const result = await withClient(context, (client) =>
            withProgress(`${name === 'pause' ? 'pausing' : 'resuming'} tag ${tag}`, (onProgress) =>
              client.pauseByTag(tag, paused, { onProgress }),
            ),
          );
          if (context.json) return printJson({ tag, paused, ...result });
          return console.log(`${paused ? 'paused' : 'resumed'} ${result.signalled} tasks tagged ${tag}`);
        }
        const id = taskId as string;
        await withClient(context, (client) => (paused ? client.pause(id) : client.resume(id)));
        if (context.json) return printJson({ taskId: id, paused });
        console.log(`${paused ? 'paused' : 'resumed'} ${id}`);
      });
  }

  program
    .command('remove')
    .description("stop and remove a task's schedule (the cached value stays until its TTL)")
    .argument('<task>', 'task id', taskIdArg)
    .action(async (taskId: string, _opts: unknown, command: Command) => {
      const context = contextOf(command);
      const final = await withClient(context, (client) => client.remove(taskId, 'warmctl remove'));
      if (context.json) return printJson({ taskId, removed: true, status: final });
      console.log(`removed ${taskId} after ${final.warmCount} warms (${final.failureCount} failed)`);
    });

  program
    .command('login')
    .description("report a login exactly as the auth service does: preload the user's session, navigation and forms")
    .argument('<user>', 'user id', userIdArg)
    .option('--force', 'preload even if the user was preloaded within skipIfWarmedWithinMinutes')
    .option('--no-forms', "leave the user's forms out")
    .action(async (userId: string, opts: { force?: boolean; forms: boolean }, command: Command) => {
      const context = contextOf(command);
      const options = { ...(opts.force ? { force: true } : {}), ...(opts.forms ? {} : { preloadForms: false }) };
      const taskQueue = await withClient(context, async (client) => {
        await notifyUserLoggedIn(client.temporal, userId, { ...options, taskQueue: client.taskQueue });
        return client.taskQueue;
      });
      if (context.json)
        return printJson({
          workflowId: loginShardWorkflowId(taskQueue, userId),
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
    .action(async (_opts: unknown, command: Command) => {
      const context = contextOf(command);
      const report = await withClient(context, (client) => client.optimize());
      if (context.json) return printJson(report);
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
    .action(async (action: 'status' | 'pause' | 'resume', _opts: unknown, command: Command) => {
      const context = contextOf(command);
      await withClient(context, async (client) => {
        if (action !== 'status') {
          await client.pauseOptimizer(action === 'pause');
          if (context.json) return printJson({ paused: action === 'pause' });
          return console.log(`optimizer ${action === 'pause' ? 'paused' : 'resumed'}`);
        }
        const status = await client.optimizerStatus();
        if (context.json) return printJson(status);
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
    .action(async (opts: { tag: string; rewarm?: boolean }, command: Command) => {
      const context = contextOf(command);
      const result = await withClient(context, (client) =>
        withProgress(`re-warming tag ${opts.tag}`, (onProgress) =>
          client.invalidateTag(opts.tag, { rewarm: opts.rewarm, onProgress }),
        ),
      );
      const rewarm = result.rewarm;
      const patternFailures = rewarm?.patterns.reduce((sum, p) => sum + p.failed, 0) ?? 0;
      if (context.json) printJson(result);
      else {
        console.log(`deleted ${result.keys.length} key${result.keys.length === 1 ? '' : 's'} tagged ${opts.tag}`);
        if (rewarm) {
          printRun(rewarm, `tag ${opts.tag}`);
          for (const p of rewarm.patterns)
            console.log(`pattern ${p.match}: ${p.warmed} of ${p.keys} keys warmed, ${p.failed} failed`);
          if (rewarm.unowned.length > 0)
            console.log(`${rewarm.unowned.length} deleted keys belong to no task or pattern: not re-warmed`);
        }
      }
      if (rewarm && rewarm.failed + patternFailures > 0)
        throw new Error(`${rewarm.failed + patternFailures} re-warms failed`);
    });

  program
    .command('import')
    .description(
      'warm a list of keys once (one a line, or JSON lines {"key": ...}) through the applied patterns or a named loader',
    )
    .requiredOption('-f, --file <path>', 'the key list; - reads stdin', fileArg)
    .option('--pattern <match>', 'only this pattern of the applied config (default: the first each key matches)')
    .option('--loader <name>', 'a custom loader registered in the worker, called with {key}; needs --ttl', loaderArg)
    .option('--ttl <duration>', "with --loader: the values' TTL, e.g. 10m, 24h", ttlArg)
    .option('--tag <tag>', 'with --loader: a tag of every value (repeatable)', collectTags, [])
    .option('--no-wait', 'return once the bulk warms are started')
    .action(
      async (
        opts: { file: string; pattern?: string; loader?: string; ttl?: number; tag: string[]; wait: boolean },
        command: Command,
      ) => {
        const context = contextOf(command);
        if (opts.pattern !== undefined && opts.loader !== undefined)
          throw new UsageError('import takes --pattern or --loader, not both');
        if (opts.loader !== undefined && opts.ttl === undefined) throw new UsageError('--loader needs --ttl');
        if (opts.loader === undefined && (opts.ttl !== undefined || opts.tag.length > 0))
          throw new UsageError('--ttl and --tag go with --loader (a pattern has its own)');
        const target =
          opts.loader !== undefined
            ? { loader: opts.loader, ttlSeconds: (opts.ttl as number) / 1000, tags: opts.tag }
            : { ...(opts.pattern !== undefined ? { pattern: opts.pattern } : {}) };
        const name = opts.file === '-' ? 'stdin' : opts.file;
        const { list, report } = await withClient(context, async (client) => {
          // Read whole before anything starts: an input that breaks off part way starts nothing.
          const input = opts.file === '-' ? process.stdin : createReadStream(opts.file);
          const list = await readKeyList(input, client.keys.prefix, { name });
          const report = await withProgress(`importing ${name}`, (onProgress) =>
            client.importKeys(list.keys, target, { wait: opts.wait, onProgress }),
          );
          return { list, report };
        });
        const refused = [...list.refused, ...report.refused].sort((a, b) => a.line - b.line);
        const summary = { file: name, read: list.read, duplicates: list.duplicates, ...report, refused };
        if (context.json) printJson(summary);
        else {
          for (const r of refused.slice(0, MAX_LISTED_REFUSALS)) console.log(`refused line ${r.line}: ${r.reason}`);
          if (refused.length > MAX_LISTED_REFUSALS)
            console.log(`... and ${refused.length - MAX_LISTED_REFUSALS} more lines refused (--json lists them all)`);
          for (const t of report.templates)
            for (const error of t.errors) console.log(`bulk warm of ${t.template} failed: ${error}`);
          const bulk = `${report.workflowIds.length} bulk warm${report.workflowIds.length === 1 ? '' : 's'}`;
          console.log(
            `import of ${name}: ${list.read} keys read${list.duplicates ? ` (${count(list.duplicates, 'duplicate')})` : ''}, ` +
              `${report.started} started in ${bulk}, ${refused.length} refused` +
              (report.waited
                ? `; ${report.warmed} warmed, ${report.superseded} superseded, ${report.failed} failed in ${formatDurationMs(report.durationMs)}`
                : '; not waited for'),
          );
        }
        if (refused.length + report.failed > 0)
          throw new Error(`${count(refused.length, 'line')} refused, ${count(report.failed, 'key')} failed`);
      },
    );

  program
    .command('teardown')
    .description(
      'stop every workflow of this deployment and remove every key under its prefix (cached values stay unless --values)',
    )
    .option('--dry-run', 'only list what would be stopped and removed')
    .option('--values', "also remove the cached values the deployment's metadata names")
    .option('--yes', 'do it (required unless --dry-run)')
    .action(async (opts: { dryRun?: boolean; values?: boolean; yes?: boolean }, command: Command) => {
      const context = contextOf(command);
      if (!opts.dryRun && !opts.yes)
        throw new UsageError(
          'teardown stops workflows and removes keys: pass --yes (or --dry-run to see what it would do)',
        );
      const report = await withClient(context, (client) =>
        withProgress('stopping workflows', (onProgress) =>
          client.teardown({ dryRun: opts.dryRun === true, values: opts.values === true, onProgress }),
        ),
      );
      if (context.json) return printJson(report);
      const listed = (counts: Record<string, number>) =>
        Object.entries(counts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([kind, n]) => `${n} ${kind}`)
          .join(', ');
      const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      const [stop, remove] = report.dryRun ? ['would stop', 'would remove'] : ['stopped', 'removed'];
      console.log(
        `teardown of task queues ${report.taskQueues.join(', ')} and prefix ${report.prefix}${report.dryRun ? ' (dry run: nothing changed)' : ''}`,
      );
      const workflows = total(report.workflows);
      console.log(
        `${stop} ${count(workflows, 'workflow')}${workflows ? `: ${listed(report.workflows)}` : ''}` +
          (report.alreadyClosed ? ` (${report.alreadyClosed} had closed already)` : ''),
      );
      const keys = total(report.keys);
      console.log(`${remove} ${count(keys, 'key')} under ${report.prefix}${keys ? `: ${listed(report.keys)}` : ''}`);
      console.log(
        report.values === undefined
          ? 'cached values: left until their TTL (--values removes those the metadata names)'
          : `cached values: ${remove} ${count(report.values, 'value')} named by metadata`,
      );
    });

  program
    .command('stats')
    .description('warming statistics from Temporal history: counts, durations, efficiency')
    .option('--task <task>', 'only this task', taskIdArg)
    .option('--tag <tag>', 'only tasks carrying this tag (user preloads are left out)', tagArg)
    .option('--since <duration>', 'only warms and preloads in this recent window, e.g. 30m, 24h, 7d', windowArg)
    .action(async (opts: { task?: string; tag?: string; since?: number }, command: Command) => {
      const context = contextOf(command);
      const stats = await withClient(context, (client) =>
        withProgress('reading task histories', (onProgress) =>
          client.stats({
            ...(opts.task ? { taskId: opts.task } : {}),
            ...(opts.tag ? { tag: opts.tag } : {}),
            ...(opts.since ? { sinceMs: Date.now() - opts.since } : {}),
            onProgress,
          }),
        ),
      );
      if (context.json) return printJson(stats);
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
      const read = stats.read;
      console.log(
        `read ${read.runs} task runs: ${read.fromDigest} from kept digests, ${read.historiesRead} histories (${read.eventsRead} events)`,
      );
    });

  program
    .command('report')
    .description('write a self-contained HTML report: warm durations, useful vs wasted, intervals, preload latency')
    .requiredOption('--html <file>', 'the HTML file to write (replaced if it exists)', htmlFileArg)
    .option('--task <task>', 'only this task (user preloads are left out)', taskIdArg)
    .option('--tag <tag>', 'only tasks carrying this tag (user preloads are left out)', tagArg)
    .option('--since <duration>', 'only this recent window, e.g. 30m, 24h, 7d', windowArg)
    .action(async (opts: { html: string; task?: string; tag?: string; since?: number }, command: Command) => {
      const context = contextOf(command);
      checkReportPath(opts.html);
      const data = await withClient(context, (client) =>
        withProgress('reading task histories', (onProgress) =>
          client.reportData({
            ...(opts.task ? { taskId: opts.task } : {}),
            ...(opts.tag ? { tag: opts.tag } : {}),
            ...(opts.since ? { sinceMs: Date.now() - opts.since } : {}),
            onProgress,
          }),
        ),
      );
      writeReportFile(opts.html, renderHtmlReport(data));
      const s = data.stats;
      if (context.json) {
        return printJson({
          file: opts.html,
          totalWarmings: s.totalWarmings,
          tasks: Object.keys(s.byTask).length,
          userPreloads: s.userPreloads,
        });
      }
      console.log(
        `wrote ${opts.html}: ${count(s.totalWarmings, 'warm')} of ${count(Object.keys(s.byTask).length, 'task')}, ` +
          `${count(s.userPreloads, 'user preload')}`,
      );
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(warmctl completion bash), or zsh')
    .argument('<shell>', COMPLETION_SHELLS.join(' or '), (value: string) => {
      if (!(COMPLETION_SHELLS as readonly string[]).includes(value))
        throw new InvalidArgumentError(`must be ${COMPLETION_SHELLS.join(' or ')}`);
      return value as CompletionShell;
    })
    .action((shell: CompletionShell, _opts: unknown, command: Command) => {
      const script = completionScript(program, shell);
      if (contextOf(command).json) return printJson({ shell, script });
      process.stdout.write(script);
    });

  // After the subcommands exist (they copy the setting when created): the top-level action reports
  // a word that is no command itself, as "unknown command".
  program.allowExcessArguments(true);
  return program;
}

/** Runs warmctl with argv (without node and script); resolves with the exit code. */
export async function runWarmctl(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    await traceCommand(program, () => program.parseAsync(normalizeSwitches(argv), { from: 'user' }));
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version')
        return 0;
      sayFailure(oneLine(err.message.replace(/^error: /, '')));
      return 2;
    }
    if (err instanceof UsageError) {
      sayFailure(oneLine(err.message));
      return 2;
    }
    const message =
      err instanceof ConfigError ? `invalid config: ${err.message}` : err instanceof Error ? err.message : String(err);
    sayFailure(message.split('\n')[0] as string);
    return 1;
  }
}

/** The one line a failure prints, secrets redacted: a mistyped URL must not echo its password. */
function sayFailure(line: string): void {
  process.stderr.write(`warmctl: ${redact(line)}\n`);
}

if (require.main === module) {
  // Node's deprecation notices (grpc-js dialling TLS to an IP address triggers DEP0123) are for
  // developers; on an operator's stderr they would break the one-line-per-failure rule.
  process.noDeprecation = true;
  runWarmctl(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      sayFailure(String(err));
      process.exit(1);
    },
  );
}

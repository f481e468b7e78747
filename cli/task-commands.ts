// warmctl's task commands: apply a config, list tasks, one task's status, warm, pause, resume, remove.
import type { Command } from 'commander';
import { formatDurationMs } from '../core/durations';
import { readEnvironment } from '../config/environment';
import { loadConfigFile } from '../config/config-file';
import { positiveIntArg, tagArg, taskIdArg } from './cli-arguments';
import { contextOf, printJson, UsageError, withClient, withProgress } from './cli-context';
import { formatTable } from './format-table';
import { describeOutcome, MAX_LISTED_TASKS, printRun, statusRows } from './run-output';

export function addTaskCommands(program: Command): void {
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
}

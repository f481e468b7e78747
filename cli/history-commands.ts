// warmctl's history commands: statistics and the HTML report, both read from Temporal history.
import type { Command } from 'commander';
import { WARM_COUNTER_COLUMNS, warmCounterCells } from '../core/warm-stats';
import { renderHtmlReport } from '../report/html-report';
import { checkReportPath, writeReportFile } from '../report/report-file';
import { htmlFileArg, tagArg, taskIdArg, windowArg } from './cli-arguments';
import { contextOf, count, printJson, withClient, withProgress } from './cli-context';
import { formatTable } from './format-table';
import { preloadLine } from './run-output';

export function addHistoryCommands(program: Command): void {
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
        `read ${read.runs} task runs (${read.runsListed} listed): ${read.fromDigest} from kept digests (${read.described} described), ${read.historiesRead} histories (${read.eventsRead} events); ${read.preloadRuns} user preload runs: ${read.preloadResultsRead} results read`,
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
}

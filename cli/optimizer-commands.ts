// warmctl's optimiser commands: one cycle now, and the background optimiser's status, pause, resume.
import { InvalidArgumentError, type Command } from 'commander';
import { formatDurationMs } from '../core/durations';
import { contextOf, printJson, withClient } from './cli-context';
import { formatTable } from './format-table';

export function addOptimizerCommands(program: Command): void {
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
}

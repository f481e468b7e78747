// warmctl's key commands: invalidate a tag (and re-warm), import a list of keys to warm once.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { formatDurationMs } from '../core/durations';
import { readKeyList } from '../client/key-list';
import { collectTags, fileArg, loaderArg, tagArg, ttlArg } from './cli-arguments';
import { contextOf, count, printJson, UsageError, withClient, withProgress } from './cli-context';
import { printRun } from './run-output';
/** `import` prints this many refused lines; `--json` has them all. */
const MAX_LISTED_REFUSALS = 20;

export function addKeyCommands(program: Command): void {
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
}

// warmctl's deployment commands: tear a deployment down; and shell completion for all of warmctl.
import { InvalidArgumentError, type Command } from 'commander';
import { contextOf, count, printJson, UsageError, withClient, withProgress } from './cli-context';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from './shell-completion';

export function addDeploymentCommands(program: Command): void {
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
}

/** `warmctl completion`: a completion script for every command (it reads the whole program when it runs); last in the help. */
export function addCompletionCommand(program: Command): void {
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
}

// warmctl's command line: the global options, then each command group from its own file.
import { Command, Option } from 'commander';
import { addConnectionFlags } from './connection-flags';
import { contextOf, packageVersion, printJson, UsageError } from './cli-context';
import { addTaskCommands } from './task-commands';
import { addLoginCommands } from './login-commands';
import { addOptimizerCommands } from './optimizer-commands';
import { addKeyCommands } from './key-commands';
import { addCompletionCommand, addDeploymentCommands } from './deployment-commands';
import { addHistoryCommands } from './history-commands';

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

  addTaskCommands(program);
  addLoginCommands(program);
  addOptimizerCommands(program);
  addKeyCommands(program);
  addDeploymentCommands(program);
  addHistoryCommands(program);
  addCompletionCommand(program);

  // After the subcommands exist (they copy the setting when created): the top-level action reports
  // a word that is no command itself, as "unknown command".
  program.allowExcessArguments(true);
  return program;
}

#!/usr/bin/env node
// warmctl: a thin shell over the warming client. Exit 0 on success; otherwise one line on
// stderr and a non-zero exit (2 for a bad command line, 1 for everything else). Global options
// (connection, --json / -o json) work before or after the command, as in the Temporal CLI.
import { CommanderError } from 'commander';
import { ConfigError } from '../core/config-schema';
import { redact } from '../core/redact';
import { oneLine } from '../core/one-line';
import { normalizeSwitches } from './connection-flags';
import { UsageError } from './cli-context';
import { buildProgram } from './program';
import { traceCommand } from '../tracing/command-tracing';

export { buildProgram } from './program';

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

/** warmctl as a program: runs the command line of this process and exits with its code. */
export function main(): void {
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

if (require.main === module) main();

// Runs the built warmctl binary (dist/cli/warmctl.js) as a user would, against the test servers.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { testServers } from './test-env';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = resolve(__dirname, '../../dist/cli/warmctl.js');

export function runWarmctlBinary(
  args: string[],
  env: Record<string, string>,
  input?: { cwd?: string; stdin?: string },
): Promise<CliResult> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: npm test builds it first (npm run build)`);
  const servers = testServers();
  return new Promise((resolveRun) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: input?.cwd,
        env: {
          PATH: process.env.PATH ?? '',
          TEMPORAL_ADDRESS: servers.temporalAddress,
          REDIS_URL: servers.redisUrl,
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
    // Without input the child's stdin is closed at once, so a command reading it sees an empty list.
    child.stdin?.end(input?.stdin ?? '');
  });
}

// Real worker processes (`node dist/worker/main.js`, or an example's entry point) for fault tests:
// started with an environment, watched until they poll, killed or stopped by the test, never left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { stopProcess } from '../../scripts/local-stack';
import { waitFor } from './test-env';

const MAIN = resolve(__dirname, '../../dist/worker/main.js');

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once it has exited. */
  readonly exited: Promise<number | null>;
  /** Whether it is still running. */
  alive(): boolean;
  /** Resolves once it says it is polling; fails if it exits first. */
  polling(timeoutMs?: number): Promise<void>;
  /** SIGTERM (it drains and exits), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

const started = new Set<WorkerProcess>();

/**
 * Starts `node dist/worker/main.js` (or another built entry point, `entry`) with PATH,
 * WARMING_LOG_LEVEL=WARN and no config file, plus `env` (TEMPORAL_ADDRESS, REDIS_URL,
 * TEMPORAL_TASK_QUEUE, WARMING_PREFIX...).
 */
export function startWorkerProcess(env: Record<string, string>, entry = MAIN): WorkerProcess {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: npm test builds it first (npm run build)`);
  let output = '';
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      WARMING_CONFIG: '/nonexistent/warming.config.json',
      WARMING_LOG_LEVEL: 'WARN',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let done = false;
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      done = true;
      r(code);
    }),
  );
  const worker: WorkerProcess = {
    child,
    pid: child.pid as number,
    output: () => output,
    exited,
    alive: () => !done,
    async polling(timeoutMs = 30_000) {
      await waitFor(
        'the worker process polling',
        () => {
          if (done) throw new Error(`the worker exited: ${output.trim()}`);
          return output.includes('worker polling');
        },
        { timeoutMs },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; output: ${output.trim().slice(-500)}`);
      });
    },
    stop: () => stopProcess(child),
  };
  started.add(worker);
  void exited.then(() => started.delete(worker));
  return worker;
}

/** SIGKILLs every worker process this file started that is still running (for afterAll). */
export async function killWorkerProcesses(): Promise<void> {
  const running = [...started];
  for (const worker of running) worker.child.kill('SIGKILL');
  await Promise.all(running.map((worker) => worker.exited));
}

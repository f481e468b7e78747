// The heap the worker gives its workflow threads when the process has no heap limit
// (worker/worker-from-environment.ts, limitWorkflowThreadHeap), as V8 really applies it: in a fresh
// `node` running the build in dist/, a thread started afterwards reports the limit, and an
// operator's own --max-old-space-size is left to stand.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { workflowThreadHeapMiB } from '../../worker/workflow-cache-size';

const MODULE = resolve(__dirname, '../../dist/worker/worker-from-environment.js');

/** What limitWorkflowThreadHeap(cache) returned in a fresh node (`nodeArgs`, NODE_OPTIONS), and a new thread's heap limit after. */
function run(cache: number, nodeArgs: string[], nodeOptions?: string): { set: number | null; threadLimitMiB: number } {
  if (!existsSync(MODULE)) throw new Error(`${MODULE} is missing: npm test builds it first (npm run build)`);
  const script = `
    const { Worker } = require('node:worker_threads');
    const set = require(${JSON.stringify(MODULE)}).limitWorkflowThreadHeap(${cache});
    const thread = new Worker(
      "require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)",
      { eval: true },
    );
    thread.once('message', (limit) => {
      console.log(JSON.stringify({ set: set ?? null, threadLimitMiB: limit / 2 ** 20 }));
      thread.terminate();
    });`;
  const env = { PATH: process.env.PATH ?? '', ...(nodeOptions !== undefined ? { NODE_OPTIONS: nodeOptions } : {}) };
  return JSON.parse(execFileSync(process.execPath, [...nodeArgs, '-e', script], { env, encoding: 'utf8' })) as {
    set: number | null;
    threadLimitMiB: number;
  };
}

test('without a heap limit, threads started afterwards get the heap sized for the cache', () => {
  const { set, threadLimitMiB } = run(2_000, []);
  expect(set).toBe(workflowThreadHeapMiB(2_000));
  // Old space as set, plus V8's young generation (tens of MiB).
  expect(threadLimitMiB).toBeGreaterThanOrEqual(workflowThreadHeapMiB(2_000));
  expect(threadLimitMiB).toBeLessThan(workflowThreadHeapMiB(2_000) + 128);
});

test("the operator's --max-old-space-size stands, on the command line or in NODE_OPTIONS", () => {
  for (const [nodeArgs, nodeOptions] of [[['--max-old-space-size=3000']], [[], '--max-old-space-size=3000']] as const) {
    const { set, threadLimitMiB } = run(2_000, [...nodeArgs], nodeOptions);
    expect(set).toBeNull();
    expect(threadLimitMiB).toBeGreaterThanOrEqual(3_000);
  }
});

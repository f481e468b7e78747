// The heap the worker gives its workflow threads when the process has no heap limit
// (worker/worker-from-environment.ts, limitWorkflowThreadHeap), as V8 really applies it: in a fresh
// `node` running the build in dist/, a thread started afterwards reports the limit, and an
// operator's own --max-old-space-size is left to stand. Likewise the heap growth the worker sets
// (limitHeapGrowth) for the running main thread and later threads, and an operator's own.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HEAP_GROWING_PERCENT, workflowThreadHeapMiB } from '../../worker/workflow-cache-size';

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

/**
 * What limitHeapGrowth() returned in a fresh node (`nodeArgs`), and the growth factors V8 then
 * applied at full collections, per isolate (the main thread's and a thread started afterwards), as
 * its --trace-gc-verbose lines print them (`[pid:isolate] ... [HeapController] Limit: ... (1.3)`).
 * Each isolate is asked for one collection; V8 may add its own (at a thread's teardown, say), so
 * an isolate can list more than one factor.
 */
function growth(nodeArgs: string[]): { set: number | null; factors: string[][] } {
  if (!existsSync(MODULE)) throw new Error(`${MODULE} is missing: npm test builds it first (npm run build)`);
  const script = `
    const { Worker } = require('node:worker_threads');
    const set = require(${JSON.stringify(MODULE)}).limitHeapGrowth();
    require('node:v8').setFlagsFromString('--trace-gc-verbose');
    gc();
    new Worker('gc()', { eval: true }).once('exit', () => console.log('set ' + JSON.stringify(set ?? null)));`;
  const out = execFileSync(process.execPath, ['--expose-gc', ...nodeArgs, '-e', script], {
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  const set = /^set (.*)$/m.exec(out);
  if (!set) throw new Error(`no result in: ${out.slice(-500)}`);
  const byIsolate = new Map<string, string[]>();
  for (const [, isolate, factor] of out.matchAll(
    /^\[\d+:(0x[\da-f]+)\].*\[HeapController\] Limit: .*\(([\d.]+)\)$/gm,
  )) {
    byIsolate.set(isolate as string, [...(byIsolate.get(isolate as string) ?? []), factor as string]);
  }
  return { set: JSON.parse(set[1] as string) as number | null, factors: [...byIsolate.values()] };
}

test('heaps grow 30 % past their live size: the running main thread and threads started afterwards', () => {
  const { set, factors } = growth([]);
  expect(set).toBe(HEAP_GROWING_PERCENT);
  // The main thread and the new thread each collected, and every collection applied 1.3.
  expect(factors).toHaveLength(2);
  for (const isolate of factors) expect(new Set(isolate)).toEqual(new Set(['1.3']));
});

test("the operator's --heap-growing-percent stands", () => {
  const { set, factors } = growth(['--heap-growing-percent=60']);
  expect(set).toBeNull();
  expect(factors).toHaveLength(2);
  for (const isolate of factors) expect(new Set(isolate)).toEqual(new Set(['1.6']));
});

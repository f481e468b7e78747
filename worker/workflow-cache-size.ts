// How many workflows a worker process keeps cached when nothing else says, from the memory it was
// given, how its main and critical workers share them, and the heap its workflow threads get for
// that cache when the operator gave none.
import { getHeapStatistics } from 'node:v8';

/**
 * Worker RSS budgeted per cached task workflow: with 10 000 tasks the bench's worker peaked at
 * 2.6-3.1 GiB over 250 MiB idle on 2026-11-30 (240-290 KiB each, V8 collecting late under a 4 GiB
 * heap), and at 4.1 GiB over 281 MiB on 2026-12-02 (399 KiB each; docs/PERFORMANCE.md).
 */
export const CACHED_WORKFLOW_KIB = 400;
/** What the heap-derived cache leaves for the worker itself (its idle RSS is about 260 MiB). */
const WORKER_BASE_MIB = 256;
/**
 * The most workflows a process caches when nothing else says, however much memory it has. Task
 * workflows sleep between warms and Temporal's cache keeps the most recently run, so once tasks
 * outnumber the cache a sleeping task is evicted before it wakes whatever the size: the cache
 * serves bursts (a wave, a fleet operation, hot tasks), and an evicted task replays a run of at
 * most SHORT_HISTORY_EVENTS events. With 2 000 and its workflow threads' heap sized for them
 * (workflowThreadHeapMiB), and every heap collecting at 1.3x what it kept (HEAP_GROWING_PERCENT),
 * a worker peaked at 998 MiB of RSS over 20 000 tasks.
 */
export const MAX_DEFAULT_CACHED_WORKFLOWS = 2_000;

/**
 * The process's sticky cache when nothing else says: one workflow per 400 KiB of V8 heap limit
 * beyond 256 MiB (set by `--max-old-space-size`, e.g. in NODE_OPTIONS, plus V8's young
 * generation), at most MAX_DEFAULT_CACHED_WORKFLOWS. A cached task workflow holds 240-400 KiB of
 * worker RSS (the JS heap of its execution context and Temporal Core's native state), so a full
 * cache keeps RSS under the heap limit plus the worker's base: 2 000 workflows from a 1 038 MiB
 * heap limit up (the Kubernetes manifest's 2 096 MiB, Node's default on a 24 GiB machine), 655
 * at 512 MiB. Beyond it a task workflow is evicted and replays its short history at its next warm;
 * set `maxCachedWorkflows` (with the memory to match) to cache more.
 * @param heapLimitMiB the V8 heap limit in MiB
 * @default the running process's heap limit
 * @returns at least 100, at most MAX_DEFAULT_CACHED_WORKFLOWS
 */
export function defaultMaxCachedWorkflows(heapLimitMiB = getHeapStatistics().heap_size_limit / 2 ** 20): number {
  const fromHeap = Math.floor(((heapLimitMiB - WORKER_BASE_MIB) * 1024) / CACHED_WORKFLOW_KIB);
  return Math.min(MAX_DEFAULT_CACHED_WORKFLOWS, Math.max(100, fromHeap));
}

/**
 * How a process's workflow cache is shared by its two workers: an eighth (at least 2) for the
 * critical queue, whose tasks are few by design, the rest for the main queue, so the two together
 * never hold more than the budget. 0 turns caching off for both.
 * @param total workflows the whole process may keep cached
 * @returns the main and the critical worker's caches
 */
export function splitWorkflowCache(total: number): { main: number; critical: number } {
  if (total === 0) return { main: 0, critical: 0 };
  const critical = Math.max(2, Math.floor(total / 8));
  return { main: Math.max(2, total - critical), critical };
}

/**
 * Workflow-thread heap budgeted per cached workflow, in KiB: twice what one held at the peak of a
 * forced wave of 5 000 tasks over a cache of 2 000 (the main queue's thread used 277 MiB for
 * 1 750 cached workflows, 146 KiB each beyond its 28 MiB base; docs/PERFORMANCE.md).
 */
export const WORKFLOW_THREAD_KIB_PER_CACHED = 300;
/** What the workflow-thread heap leaves beyond its cache: the bundle, activations in flight (measured base 28 MiB). */
const WORKFLOW_THREAD_BASE_MIB = 128;

/**
 * The old-space heap each workflow thread gets when the operator set no heap limit: enough for
 * `maxCachedWorkflows` at twice their measured size. Node's default (a quarter of the machine's
 * memory, up to about 4 GiB) lets V8 collect so late that a worker with 2 000 cached workflows
 * peaked at 1.8 GiB of RSS over 20 000 tasks, live heap a fraction of that; a limit sized for the
 * cache keeps RSS near what the cache holds, and a fully cached worker a limit its cache fits.
 * @param maxCachedWorkflows workflows the whole process may keep cached (both workers)
 * @returns MiB, for `--max-old-space-size`
 */
export function workflowThreadHeapMiB(maxCachedWorkflows: number): number {
  return WORKFLOW_THREAD_BASE_MIB + Math.ceil((maxCachedWorkflows * WORKFLOW_THREAD_KIB_PER_CACHED) / 1024);
}

/**
 * How far past what its last full collection kept V8 lets a heap grow before the next one (30: to
 * 1.3x), when the operator set nothing. V8's own factor rises to 4x for a heap limit of 1 GiB or
 * more, so the main thread, whose limit Node sets at about 4 GiB, grew to 313 MiB of heap over the
 * first warms and a forced wave of 5 000 tasks, 82 MiB of it live after the first warms. At 30 it
 * peaked at 158 MiB and the worker at 952 MiB of RSS against 1 180 (docs/PERFORMANCE.md, "Heap
 * growth"). V8 reads it at every full collection, so setting it at run time holds for every thread.
 */
export const HEAP_GROWING_PERCENT = 30;

/** Whether the flag `--<name>` (in either spelling V8 takes) is on the command line or in NODE_OPTIONS. */
function nodeFlagGiven(name: RegExp, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flag = new RegExp(`(^|\\s)--${name.source}(=|\\s|$)`);
  return execArgv.some((arg) => flag.test(arg)) || flag.test(nodeOptions ?? '');
}

/**
 * Whether the process was given a V8 heap limit: `--max-old-space-size` (or `--max-heap-size`)
 * on its command line or in NODE_OPTIONS, in either spelling V8 takes.
 * @param execArgv the process's Node options (`process.execArgv`)
 * @param nodeOptions NODE_OPTIONS
 */
export function heapLimitGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return nodeFlagGiven(/max[-_](old[-_]space|heap)[-_]size/, execArgv, nodeOptions);
}

/**
 * Whether the process was given V8's heap growth: `--heap-growing-percent` on its command line,
 * in either spelling V8 takes (Node refuses it in NODE_OPTIONS).
 * @param execArgv the process's Node options (`process.execArgv`)
 */
export function heapGrowthGiven(execArgv: readonly string[]): boolean {
  return nodeFlagGiven(/heap[-_]growing[-_]percent/, execArgv, undefined);
}

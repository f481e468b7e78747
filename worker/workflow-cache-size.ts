// How many workflows a worker process keeps cached when nothing else says, from the memory it was
// given, and how its main and critical workers share them.
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
 * The process's sticky cache when nothing else says, sized from the memory it was given:
 * one workflow per 400 KiB of V8 heap limit beyond 256 MiB (set by `--max-old-space-size`, e.g. in
 * NODE_OPTIONS, plus V8's young generation). A cached task workflow holds 240-400 KiB of worker RSS
 * (the JS heap of its execution context and Temporal Core's native state), so a full cache keeps
 * RSS near the heap limit plus the worker's base: 4 710 workflows at the Kubernetes manifest's
 * `--max-old-space-size=2048` (a 2 096 MiB limit on Node 20), about 9 950 at Node's default on a
 * 24 GiB machine. Beyond it a task workflow is evicted and replays
 * its history at its next warm; give the worker more memory, or set `maxCachedWorkflows`, to keep
 * every task.
 * @param heapLimitMiB the V8 heap limit in MiB
 * @default the running process's heap limit
 * @returns at least 100
 */
export function defaultMaxCachedWorkflows(heapLimitMiB = getHeapStatistics().heap_size_limit / 2 ** 20): number {
  return Math.max(100, Math.floor(((heapLimitMiB - WORKER_BASE_MIB) * 1024) / CACHED_WORKFLOW_KIB));
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

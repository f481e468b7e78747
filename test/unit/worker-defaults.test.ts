// The worker's default workflow cache follows the heap it was given, shared by its two workers
// (worker/create-worker.ts), its workflow threads' heap follows the cache when none was given, and
// an operator's heap growth flag is seen.
import { getHeapStatistics } from 'node:v8';
import {
  CACHED_WORKFLOW_KIB,
  defaultMaxCachedWorkflows,
  MAX_DEFAULT_CACHED_WORKFLOWS,
  splitWorkflowCache,
} from '../../worker/create-worker';
import {
  heapGrowthGiven,
  heapLimitGiven,
  WORKFLOW_THREAD_KIB_PER_CACHED,
  workflowThreadHeapMiB,
} from '../../worker/workflow-cache-size';

test('one cached workflow per 400 KiB of heap limit beyond 256 MiB, at most 2 000', () => {
  expect(CACHED_WORKFLOW_KIB).toBe(400);
  expect(MAX_DEFAULT_CACHED_WORKFLOWS).toBe(2_000);
  expect(defaultMaxCachedWorkflows(512)).toBe(655);
  expect(defaultMaxCachedWorkflows(1_037)).toBe(1_999);
  expect(defaultMaxCachedWorkflows(1_038)).toBe(2_000);
  expect(defaultMaxCachedWorkflows(2096)).toBe(2_000); // the Kubernetes manifest's heap (2 048 old space + young)
  expect(defaultMaxCachedWorkflows(4144)).toBe(2_000); // Node's default heap on a 24 GiB machine
});

test('a tiny heap still caches some workflows', () => {
  expect(defaultMaxCachedWorkflows(256)).toBe(100);
  expect(defaultMaxCachedWorkflows(0)).toBe(100);
});

test('without an argument it reads the running process heap limit', () => {
  expect(defaultMaxCachedWorkflows()).toBe(defaultMaxCachedWorkflows(getHeapStatistics().heap_size_limit / 2 ** 20));
});

test("the process's cache is shared: an eighth for the critical queue, the rest for the main one", () => {
  expect(splitWorkflowCache(5_734)).toEqual({ main: 5_018, critical: 716 });
  expect(splitWorkflowCache(100)).toEqual({ main: 88, critical: 12 });
  for (const total of [16, 100, 5_734, 12_441]) {
    const { main, critical } = splitWorkflowCache(total);
    expect(main + critical).toBe(total);
  }
});

test('a tiny cache still gives each worker the two workflows Temporal requires, and 0 turns both off', () => {
  expect(splitWorkflowCache(2)).toEqual({ main: 2, critical: 2 });
  expect(splitWorkflowCache(0)).toEqual({ main: 0, critical: 0 });
});

test("workflow threads' heap: 128 MiB and 300 KiB per cached workflow, the cache's inverse", () => {
  expect(WORKFLOW_THREAD_KIB_PER_CACHED).toBe(300);
  expect(workflowThreadHeapMiB(2_000)).toBe(714);
  expect(workflowThreadHeapMiB(0)).toBe(128);
  // A fully cached worker gets room for its cache (20 000 tasks: the bench's cached baseline).
  expect(workflowThreadHeapMiB(22_874)).toBe(6_830);
});

test.each([
  [[], undefined, false],
  [['--max-old-space-size=1024'], undefined, true],
  [['--max_old_space_size=1024'], undefined, true],
  [['--max-heap-size=1024'], undefined, true],
  [['--enable-source-maps'], '--max-old-space-size=2048', true],
  [[], '--enable-source-maps --max-old-space-size=2048', true],
  [[], '--max-old-space-sizes=1', false],
  [['--max-semi-space-size=64'], '--stack-size=2048', false],
])('heap limit given by execArgv %j and NODE_OPTIONS %j: %s', (execArgv, nodeOptions, given) => {
  expect(heapLimitGiven(execArgv, nodeOptions)).toBe(given);
});

test.each([
  [[], false],
  [['--heap-growing-percent=60'], true],
  [['--heap_growing_percent=60'], true],
  [['--enable-source-maps', '--heap-growing-percent', '60'], true],
  [['--heap-growing-percents=1'], false],
  [['--max-old-space-size=1024'], false],
])('heap growth given by execArgv %j: %s', (execArgv, given) => {
  expect(heapGrowthGiven(execArgv)).toBe(given);
});

// `warmctl teardown`: removes a deployment. Stops every workflow running on its task queues (found
// through visibility, as the other commands find them), then removes every Redis key under its
// prefix, a SCAN page at a time on each master (Redis Cluster included). Cached values live
// outside the prefix and stay, unless `values` asks for those the deployment's metadata names.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Cluster, Redis } from 'ioredis';
import { mapLimit } from '../core/map-limit';
import type { RedisKeys } from '../store/redis-keys';
import { runningOnDeploymentQuery } from '../core/visibility-query';

/** The kinds of workflow a deployment runs, by workflow type. */
const WORKFLOW_KINDS: Record<string, string> = {
  warmTaskWorkflow: 'tasks',
  optimizerWorkflow: 'optimizer',
  userLoginsWorkflow: 'loginShards',
  preloadUserWorkflow: 'preloads',
  userSessionWorkflow: 'userSessions',
  bulkWarmWorkflow: 'bulkWarms',
};

/** Keys per SCAN page, and so per UNLINK. */
const SCAN_COUNT = 1000;

/** Options of `teardown`. */
export interface TeardownOptions {
  /**
   * Only count what would be stopped and removed; change nothing.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Also remove the cached values the deployment's metadata (`<prefix>meta:...`) names: every value
   * warmed by its workers or written through its cache clients whose metadata has not expired.
   * @default false: values stay until their TTL
   */
  values?: boolean;
  /**
   * Called as workflows are stopped: (done, total).
   * @default none
   */
  onProgress?: (done: number, total: number) => void;
}

/** What a teardown stopped and removed (or, in a dry run, would). */
export interface TeardownReport {
  dryRun: boolean;
  taskQueues: string[];
  prefix: string;
  /** Running workflows by kind (`tasks`, `optimizer`, `loginShards`, `preloads`, `bulkWarms`, ...). */
  workflows: Record<string, number>;
  /** Workflows that had closed by the time they were to be stopped (a preload ended with its shard, say). */
  alreadyClosed: number;
  /** Keys under the prefix by kind (`meta`, `tag`, `usage`, `lock`, `run`, `warmed`, `budget`, `state`). */
  keys: Record<string, number>;
  /** With `values`: cached values named by metadata that exist (and were removed). */
  values?: number;
}

/** What a teardown needs of the warming client. */
export interface TeardownContext {
  temporal: Client;
  redis: Redis | Cluster;
  keys: RedisKeys;
  taskQueue: string;
  concurrency: number;
}

/** Stops this deployment's workflows and removes its keys (see the file comment); a dry run only counts. */
export async function teardown(context: TeardownContext, options: TeardownOptions = {}): Promise<TeardownReport> {
  const dryRun = options.dryRun === true;
  const query = runningOnDeploymentQuery(context.taskQueue);
  const running: { workflowId: string; runId: string; kind: string }[] = [];
  for await (const execution of context.temporal.workflow.list({ query })) {
    running.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      kind: WORKFLOW_KINDS[execution.type] ?? 'other',
    });
  }
  const workflows: Record<string, number> = {};
  for (const { kind } of running) workflows[kind] = (workflows[kind] ?? 0) + 1;
  let alreadyClosed = 0;
  if (!dryRun) {
    // Parents first: a login shard's preload children end with it, and a task workflow stopped
    // before the optimiser could be warmed by it again.
    const order = ['loginShards', 'optimizer', 'tasks'];
    running.sort((a, b) => rank(order, a.kind) - rank(order, b.kind));
    let done = 0;
    await mapLimit(running, context.concurrency, async ({ workflowId, runId }) => {
      try {
        await context.temporal.workflow.getHandle(workflowId, runId).terminate('warmctl teardown');
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        alreadyClosed++;
      }
      options.onProgress?.(++done, running.length);
    });
  }
  const prefix = context.keys.prefix;
  const keys: Record<string, number> = {};
  let values = 0;
  const metaHead = `${prefix}meta:{`;
  const cluster = context.redis.isCluster;
  for (const node of masters(context.redis)) {
    let cursor = '0';
    do {
      const [next, page] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (page.length === 0) continue;
      for (const key of page) {
        const kind = keyKind(key.slice(prefix.length));
        keys[kind] = (keys[kind] ?? 0) + 1;
      }
      // A value is in its metadata's hash slot, so on this node too.
      const valueKeys = options.values
        ? page.filter((key) => key.startsWith(metaHead)).map((key) => valueKeyOf(key, metaHead))
        : [];
      if (valueKeys.length > 0) values += await perKey(node, valueKeys, cluster, dryRun ? 'exists' : 'unlink');
      if (!dryRun) await perKey(node, page, cluster, 'unlink');
    } while (cursor !== '0');
  }
  return {
    dryRun,
    taskQueues: [context.taskQueue, `${context.taskQueue}-critical`],
    prefix,
    workflows,
    alreadyClosed,
    keys,
    ...(options.values ? { values } : {}),
  };
}

function rank(order: readonly string[], kind: string): number {
  const at = order.indexOf(kind);
  return at < 0 ? order.length : at;
}

/** The kind of a key under the prefix, from what follows the prefix (store/redis-keys.ts). */
function keyKind(rest: string): string {
  for (const [head, kind] of [
    ['meta:', 'meta'],
    ['tag:', 'tag'],
    ['{usage}:', 'usage'],
    ['lock:', 'lock'],
    ['run:', 'run'],
    ['warmed:', 'warmed'],
    ['budget:', 'budget'],
  ] as const) {
    if (rest.startsWith(head)) return kind;
  }
  return 'state';
}

/** The value key a metadata key `<prefix>meta:{<slot tag>}:<key>` describes (a slot tag holds no `}`). */
function valueKeyOf(metaKey: string, metaHead: string): string {
  const close = metaKey.indexOf('}:', metaHead.length);
  return metaKey.slice(close + 2);
}

/** Every node holding keys: the masters of a cluster, else the one server. */
function masters(redis: Redis | Cluster): Redis[] {
  return redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
}

/**
 * UNLINKs (or, `count`, counts with EXISTS) `keys` on `node`: one command for a single server, one
 * a key in a pipeline on a cluster's master (the keys of one page span slots).
 */
async function perKey(node: Redis, keys: string[], cluster: boolean, command: 'unlink' | 'exists'): Promise<number> {
  if (!cluster) return command === 'unlink' ? node.unlink(...keys) : node.exists(...keys);
  return sumReplies(await node.pipeline(keys.map((key) => [command, key])).exec());
}

function sumReplies(results: [Error | null, unknown][] | null): number {
  let sum = 0;
  for (const [err, reply] of results ?? []) {
    if (err) throw err;
    sum += Number(reply);
  }
  return sum;
}

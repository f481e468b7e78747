// Whether a deployment has critical work, for a worker with WARMING_CRITICAL_QUEUE=auto: critical
// tasks in the applied config, or any workflow running on the critical queue (a task applied by an
// older config, one about to move there). Either means the critical queue must be polled.
import type { NativeConnection } from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import { isCritical } from '../core/priority';
import { runningOnQueueQuery } from '../core/visibility-query';
import { readAppliedConfigText } from '../store/applied-config';
import type { RedisKeys } from '../store/redis-keys';

/** What the check reads: Redis for the applied config, Temporal visibility for the critical queue. */
export interface CriticalWorkSources {
  redis: Redis | Cluster;
  keys: RedisKeys;
  connection: NativeConnection;
  namespace: string;
  criticalTaskQueue: string;
}

/** True when the applied config has a critical task or a workflow runs on the critical queue. */
export async function hasCriticalWork(sources: CriticalWorkSources): Promise<boolean> {
  if (appliedConfigHasCriticalTask(await readAppliedConfigText(sources.redis, sources.keys))) return true;
  const response = await sources.connection.workflowService.countWorkflowExecutions({
    namespace: sources.namespace,
    query: runningOnQueueQuery(sources.criticalTaskQueue),
  });
  return Number(String(response.count ?? 0)) > 0;
}

/** Whether the applied config's JSON lists a critical task (stray or broken JSON lists none). */
export function appliedConfigHasCriticalTask(text: string | null): boolean {
  if (!text) return false;
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return false;
  }
  const tasks = (config as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(tasks)) return false;
  return tasks.some(
    (task: unknown) =>
      typeof task === 'object' &&
      task !== null &&
      isCritical({
        critical: (task as { critical?: unknown }).critical === true,
        priority: Number((task as { priority?: unknown }).priority ?? 0),
      }),
  );
}

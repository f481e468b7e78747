// One user's login and preload state, read from every running login shard of the queue (their
// `user` query) and merged: after WARMING_LOGIN_SHARDS changed, a user's state may sit in the
// shard of the old count, the new one, or both. What `warmctl` and tests look at after a login.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { userPreloadStatusQuery, type UserPreloadStatus } from '../workflows';
import { readEnvironment } from '../config/environment';
import { mapLimit } from '../core/map-limit';
import { runningLoginShardsQuery } from '../core/visibility-query';
import { loginShardWorkflowId } from './notify-user-logged-in';

/** Shards asked at once. */
const QUERY_CONCURRENCY = 16;

/** Options of `userPreloadStatus`: where the user's login shards are (as `notifyUserLoggedIn` sends to them). */
export interface UserPreloadStatusOptions {
  /**
   * The workers' task queue.
   * @default TEMPORAL_TASK_QUEUE, else `cache-warming`
   */
  taskQueue?: string;
  /**
   * How many login shards the users are spread over, as `notifyUserLoggedIn` used: that shard is
   * asked even before visibility lists it. Every other running shard of the queue is asked too.
   * @default WARMING_LOGIN_SHARDS, else 4
   */
  shards?: number;
}

/**
 * The user's state over the queue's login shards, merged (mergeUserPreloadStatuses), or null
 * when none holds the user (no recent login, or no shard yet). Asks the shard the current shard
 * count names and every running shard visibility lists, so a user whose logins went to another
 * shard before a change of WARMING_LOGIN_SHARDS is still found.
 */
export async function userPreloadStatus(
  client: Client,
  userId: string,
  options: UserPreloadStatusOptions = {},
): Promise<UserPreloadStatus | null> {
  const taskQueue = options.taskQueue ?? readEnvironment().taskQueue;
  const ids = new Set([loginShardWorkflowId(taskQueue, userId, options.shards)]);
  for await (const execution of client.workflow.list({ query: runningLoginShardsQuery(taskQueue) }))
    ids.add(execution.workflowId);
  const views = await mapLimit([...ids], QUERY_CONCURRENCY, async (workflowId) => {
    try {
      return await client.workflow.getHandle(workflowId).query(userPreloadStatusQuery, userId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  });
  return mergeUserPreloadStatuses(views.filter((view): view is UserPreloadStatus => view !== null));
}

const STATE_RANK: Record<UserPreloadStatus['state'], number> = { idle: 0, waiting: 1, preloading: 2 };

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Number.NEGATIVE_INFINITY);

/**
 * One view of a user from the views of several shards (each shard counts only the logins it
 * received): counters add up; the state is the busiest (preloading, then waiting, then idle);
 * `lastLoginAt` and `lastCompleteAt` are the latest; `lastResult` is the preload that finished
 * last; `lastError` is that of the shard that received the latest login (it says how that login
 * went). Null for no views. Pure.
 */
export function mergeUserPreloadStatuses(views: readonly UserPreloadStatus[]): UserPreloadStatus | null {
  const [first, ...rest] = views;
  if (!first) return null;
  const userIds = new Set(views.map((view) => view.userId));
  if (userIds.size > 1) throw new Error(`cannot merge the views of different users: ${[...userIds].join(', ')}`);
  if (rest.length === 0) return first;
  const latest = <T>(key: (view: UserPreloadStatus) => number, pick: (view: UserPreloadStatus) => T): T =>
    pick(views.reduce((best, view) => (key(view) > key(best) ? view : best)));
  const sum = (field: 'logins' | 'preloads' | 'failedPreloads' | 'skipped' | 'coalesced') =>
    views.reduce((total, view) => total + view[field], 0);
  return {
    userId: first.userId,
    state: latest(
      (view) => STATE_RANK[view.state],
      (view) => view.state,
    ),
    logins: sum('logins'),
    preloads: sum('preloads'),
    failedPreloads: sum('failedPreloads'),
    skipped: sum('skipped'),
    coalesced: sum('coalesced'),
    lastLoginAt: latest(
      (view) => ms(view.lastLoginAt),
      (view) => view.lastLoginAt,
    ),
    lastCompleteAt: latest(
      (view) => ms(view.lastCompleteAt),
      (view) => view.lastCompleteAt,
    ),
    lastResult: latest(
      (view) => ms(view.lastResult?.finishedAt),
      (view) => view.lastResult,
    ),
    lastError: latest(
      (view) => ms(view.lastLoginAt),
      (view) => view.lastError,
    ),
  };
}

// One user's login and preload state, read from the login shard that holds the user (its `user`
// query): what `warmctl` and tests look at after a login.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { userPreloadStatusQuery, type UserPreloadStatus } from '../workflows';
import { readEnvironment } from '../config/environment';
import { loginShardWorkflowId } from './notify-user-logged-in';

/** Options of `userPreloadStatus`: where the user's login shard is (as `notifyUserLoggedIn` sends to it). */
export interface UserPreloadStatusOptions {
  /**
   * The workers' task queue.
   * @default TEMPORAL_TASK_QUEUE, else `cache-warming`
   */
  taskQueue?: string;
  /**
   * How many login shards the users are spread over, as `notifyUserLoggedIn` used.
   * @default WARMING_LOGIN_SHARDS, else 4
   */
  shards?: number;
}

/** The user's state in its shard, or null when the shard holds none (no recent login, or no shard yet). */
export async function userPreloadStatus(
  client: Client,
  userId: string,
  options: UserPreloadStatusOptions = {},
): Promise<UserPreloadStatus | null> {
  const taskQueue = options.taskQueue ?? readEnvironment().taskQueue;
  const handle = client.workflow.getHandle(loginShardWorkflowId(taskQueue, userId, options.shards));
  try {
    return await handle.query(userPreloadStatusQuery, userId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

// One user's login and preload state, read from the login shard that holds the user (its `user`
// query): what `warmctl` and tests look at after a login.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { userPreloadStatusQuery, type UserPreloadStatus } from '../workflows';
import { readEnvironment } from '../config/environment';
import { loginShardWorkflowId } from './notify-user-logged-in';

export interface UserPreloadStatusOptions {
  /** Default TEMPORAL_TASK_QUEUE or `cache-warming`. */
  taskQueue?: string;
  /** Default WARMING_LOGIN_SHARDS or 4, as notifyUserLoggedIn. */
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

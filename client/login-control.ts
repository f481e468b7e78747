// The warming client's logins: report one as the auth service does, read a user's preload state,
// and tell the running login shards a re-applied skip window.
import { WorkflowNotFoundError } from '@temporalio/client';
import { mapLimit } from '../core/map-limit';
import { runningLoginShardsQuery } from '../core/visibility-query';
import { preloadSettingsSignal } from '../workflows';
import type { DeploymentContext } from './deployment-context';
import { notifyUserLoggedIn, type LoginNotice, type NotifyUserLoggedInOptions } from './notify-user-logged-in';
import { userPreloadStatus, type UserPreloadStatusOptions } from './user-preload-status';

/** The deployment's login shards, on its task queue. */
export class LoginControl {
  constructor(private readonly context: DeploymentContext) {}

  /** `notifyUserLoggedIn` on this deployment's task queue. */
  notify(userId: string, options: Omit<NotifyUserLoggedInOptions, 'taskQueue'> = {}): Promise<LoginNotice> {
    return notifyUserLoggedIn(this.context.temporal, userId, { ...options, taskQueue: this.context.taskQueue });
  }

  /** `userPreloadStatus` on this deployment's task queue: the user's state in its shard, or null. */
  preloadStatus(userId: string, options: Omit<UserPreloadStatusOptions, 'taskQueue'> = {}) {
    return userPreloadStatus(this.context.temporal, userId, { ...options, taskQueue: this.context.taskQueue });
  }

  /**
   * Tells this queue's running login shards the skip window, so a re-applied config takes effect
   * at their next login (each preload reads the rest of the settings itself).
   */
  async shareSkipWindow(skipIfWarmedWithinMinutes: number): Promise<void> {
    const { temporal } = this.context;
    const query = runningLoginShardsQuery(this.context.taskQueue);
    const ids: string[] = [];
    for await (const execution of temporal.workflow.list({ query })) ids.push(execution.workflowId);
    await mapLimit(ids, this.context.concurrency, async (workflowId) => {
      try {
        await temporal.workflow.getHandle(workflowId).signal(preloadSettingsSignal, { skipIfWarmedWithinMinutes });
      } catch (err) {
        // A shard that continued as new or closed meanwhile learns the window from its next preload.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    });
  }
}

// notifyUserLoggedIn: the auth service's call. One signal-with-start on the user's own workflow,
// so logins of different users never queue behind a shared coordinator.
import type { Client } from '@temporalio/client';
import { userIdProblem } from '../core/user-login';
import { userLoggedInSignal, userSessionWorkflow, userSessionWorkflowId, type UserLoggedIn } from '../workflows';
import { readEnvironment } from '../worker/environment';

export interface NotifyUserLoggedInOptions {
  /** Preload even if the user was preloaded within `skipIfWarmedWithinMinutes`. Default false. */
  force?: boolean;
  /** Load the user's recent forms too. Default true. */
  preloadForms?: boolean;
  /** The workers' task queue. Default TEMPORAL_TASK_QUEUE or `cache-warming`. */
  taskQueue?: string;
}

/**
 * Reports a login: signals `userLoggedIn` to `user-session:<userId>`, starting that workflow when
 * it is not running. Resolves once Temporal has recorded the signal; the preload runs
 * asynchronously. Throws a TypeError naming the field for a bad `userId` or option.
 */
export async function notifyUserLoggedIn(
  client: Client,
  userId: string,
  options: NotifyUserLoggedInOptions = {},
): Promise<void> {
  const problem = userIdProblem(userId);
  if (problem) throw new TypeError(problem);
  for (const name of ['force', 'preloadForms'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new TypeError(`${name} must be a boolean (got ${typeof options[name]})`);
    }
  }
  if (options.taskQueue !== undefined && (typeof options.taskQueue !== 'string' || options.taskQueue.trim() === '')) {
    throw new TypeError('taskQueue must be a non-empty string');
  }
  const login: UserLoggedIn = {
    userId,
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.preloadForms !== undefined ? { preloadForms: options.preloadForms } : {}),
  };
  await client.workflow.signalWithStart(userSessionWorkflow, {
    workflowId: userSessionWorkflowId(userId),
    taskQueue: options.taskQueue ?? readEnvironment().taskQueue,
    args: [{ userId }],
    signal: userLoggedInSignal,
    signalArgs: [login],
    staticSummary: 'Preloads this user on login; closes itself when idle',
  });
}

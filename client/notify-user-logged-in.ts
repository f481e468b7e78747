// notifyUserLoggedIn: the auth service's call. One signal-with-start on the login shard that holds
// the user (`user-logins:<taskQueue>:<crc32(userId) mod shards>`), so many users' logins share one long-running
// receiver and a login costs no workflow start of its own besides its preload child.
import type { Client } from '@temporalio/client';
import { crc32 } from 'node:zlib';
import { userIdProblem } from '../core/user-login';
import {
  taskQueueProblem,
  userLoggedInSignal,
  userLoginsWorkflow,
  userLoginsWorkflowId,
  type UserLoggedIn,
} from '../workflows';
import { intFromEnv } from '../config/env-values';
import { readEnvironment } from '../config/environment';

/** Login shards when neither the option nor WARMING_LOGIN_SHARDS says otherwise. */
export const DEFAULT_LOGIN_SHARDS = 4;

/** Options of `notifyUserLoggedIn`: the `userLoggedIn` payload's flags and where the login is sent. */
export interface NotifyUserLoggedInOptions {
  /**
   * Preload even if the user was preloaded within `skipIfWarmedWithinMinutes`.
   * @default false
   */
  force?: boolean;
  /**
   * Load the user's recent forms too.
   * @default true
   */
  preloadForms?: boolean;
  /**
   * The workers' task queue.
   * @default TEMPORAL_TASK_QUEUE, else `cache-warming`
   */
  taskQueue?: string;
  /**
   * How many login shards the users are spread over. Every sender of one deployment should use
   * the same number (a user's logins then meet in one shard, which dedupes them); a different
   * number is safe, it only dedupes less.
   * @default WARMING_LOGIN_SHARDS, else 4
   */
  shards?: number;
}

/**
 * The shard of a user: CRC-32 (IEEE, as zlib, Go's hash/crc32 and Python's zlib.crc32 compute it)
 * of the user id's UTF-8 bytes, modulo the number of shards.
 */
export function loginShardOf(userId: string, shards: number): number {
  return crc32(Buffer.from(userId, 'utf8')) % shards;
}

/** The id of the login shard that receives `userId`'s logins on `taskQueue`. */
export function loginShardWorkflowId(taskQueue: string, userId: string, shards = defaultLoginShards()): string {
  return userLoginsWorkflowId(taskQueue, loginShardOf(userId, shards));
}

/** WARMING_LOGIN_SHARDS, or 4. */
export function defaultLoginShards(): number {
  return intFromEnv(process.env, 'WARMING_LOGIN_SHARDS', DEFAULT_LOGIN_SHARDS);
}

/**
 * Reports a login: signals `userLoggedIn` to the user's login shard, starting it when it is not
 * running. Resolves once Temporal has recorded the signal; the preload runs asynchronously.
 * Throws a TypeError naming the field for a bad `userId` or option.
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
  if (options.taskQueue !== undefined) {
    const problem = typeof options.taskQueue === 'string' ? taskQueueProblem(options.taskQueue) : 'must be a string';
    if (problem) throw new TypeError(`taskQueue ${problem}`);
  }
  const shards = options.shards ?? defaultLoginShards();
  if (!Number.isInteger(shards) || shards < 1 || shards > 100_000) {
    throw new TypeError(`shards must be an integer from 1 to 100000 (got ${shards})`);
  }
  const login: UserLoggedIn = {
    userId,
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.preloadForms !== undefined ? { preloadForms: options.preloadForms } : {}),
  };
  const taskQueue = options.taskQueue ?? readEnvironment().taskQueue;
  await client.workflow.signalWithStart(userLoginsWorkflow, {
    workflowId: loginShardWorkflowId(taskQueue, userId, shards),
    taskQueue,
    args: [{}],
    signal: userLoggedInSignal,
    signalArgs: [login],
    staticSummary: 'Receives logins of one shard of users and starts a preload child per login',
  });
}

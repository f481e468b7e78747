// notifyUserLoggedIn: the auth service's call. One signal-with-start on the login shard that holds
// the user (`user-logins:<taskQueue>:<crc32(userId) mod shards>`), so many users' logins share one long-running
// receiver and a login costs no workflow start of its own besides its preload child.
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { userIdProblem } from '../core/user-login';
import {
  taskQueueProblem,
  userLoggedInSignal,
  userLoginsWorkflow,
  userLoginsWorkflowId,
  waitForUserPreloadUpdate,
  type UserLoggedIn,
  type UserPreloadOutcome,
} from '../workflows';
import { intFromEnv } from '../config/env-values';
import { readEnvironment } from '../config/environment';
import { errorMessage, oneLine } from '../core/one-line';
import { SpanKind } from '@opentelemetry/api';
import { withSpan } from '../tracing/with-span';

/** Login shards when neither the option nor WARMING_LOGIN_SHARDS says otherwise. */
export const DEFAULT_LOGIN_SHARDS = 4;

/**
 * How long `waitForPreload: true` waits at most, in ms: about a preload's p99 on shipped defaults
 * at 10 logins/s (docs/PERFORMANCE.md), short enough that a login never feels it much.
 */
export const DEFAULT_PRELOAD_WAIT_MS = 300;

/** The longest wait `waitForPreload` accepts, in ms. */
const MAX_PRELOAD_WAIT_MS = 60_000;

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
  /**
   * Wait until the user's preload is in Redis before resolving, at most `timeoutMs` (default
   * DEFAULT_PRELOAD_WAIT_MS): for an auth service whose next step reads the user's data. The login
   * is recorded first either way; a wait that times out or fails never fails the login.
   * @default false
   */
  waitForPreload?: boolean | { timeoutMs: number };
}

/**
 * What `notifyUserLoggedIn` saw: `sent` when it did not wait; else how the wait ended, one of the
 * shard's outcomes (`preloaded`, `skipped`: the data is in Redis; `failed`, `carried`, `unknown`),
 * `timedOut` (the deadline passed first) or `waitFailed` (the wait itself failed: `error` says why).
 */
export interface LoginNotice {
  outcome: 'sent' | UserPreloadOutcome | 'timedOut' | 'waitFailed';
  /** How long the wait took after the login was recorded, in ms (0 when not waiting). */
  waitedMs: number;
  /** The preload child that served the login, when the shard said. */
  preloadWorkflowId?: string;
  error?: string;
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
 * running. Resolves once Temporal has recorded the signal (the preload runs asynchronously), or
 * with `waitForPreload`, once the user's preload is in Redis or the wait's deadline passed.
 * Throws a TypeError naming the field for a bad `userId` or option, and whatever the signal's
 * call throws; never for the wait.
 */
export function notifyUserLoggedIn(
  client: Client,
  userId: string,
  options: NotifyUserLoggedInOptions = {},
): Promise<LoginNotice> {
  // A span of its own (a no-op without an OpenTelemetry SDK), parent of the client's signal-with-start span.
  return withSpan('notifyUserLoggedIn', {}, () => notify(client, userId, options), SpanKind.CLIENT);
}

async function notify(client: Client, userId: string, options: NotifyUserLoggedInOptions): Promise<LoginNotice> {
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
  const waitMs = preloadWaitMs(options.waitForPreload);
  const login: UserLoggedIn = {
    userId,
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.preloadForms !== undefined ? { preloadForms: options.preloadForms } : {}),
  };
  const taskQueue = options.taskQueue ?? readEnvironment().taskQueue;
  const started = Date.now();
  const handle = await client.workflow.signalWithStart(userLoginsWorkflow, {
    workflowId: loginShardWorkflowId(taskQueue, userId, shards),
    taskQueue,
    args: [{}],
    signal: userLoggedInSignal,
    signalArgs: [login],
    staticSummary: 'Receives logins of one shard of users and starts a preload child per login',
  });
  if (waitMs === undefined) return { outcome: 'sent', waitedMs: 0 };
  const remainingMs = Math.max(0, waitMs - (Date.now() - started));
  const recorded = Date.now();
  const abort = new AbortController();
  try {
    const result = await Promise.race([
      client.withAbortSignal(abort.signal, () =>
        handle.executeUpdate(waitForUserPreloadUpdate, { args: [{ userId }] }),
      ),
      sleep(remainingMs, undefined, { signal: abort.signal }).then(() => undefined),
    ]);
    const waitedMs = Date.now() - recorded;
    if (result === undefined) return { outcome: 'timedOut', waitedMs };
    return {
      outcome: result.outcome,
      waitedMs,
      ...(result.preloadWorkflowId !== undefined ? { preloadWorkflowId: result.preloadWorkflowId } : {}),
    };
  } catch (err) {
    return { outcome: 'waitFailed', waitedMs: Date.now() - recorded, error: oneLine(errorMessage(err)) };
  } finally {
    // The update's poll stops here; the shard finishes its handler by itself.
    abort.abort();
  }
}

/** The wait in ms, or undefined for none; a TypeError naming the field for a bad option. */
function preloadWaitMs(option: NotifyUserLoggedInOptions['waitForPreload']): number | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return DEFAULT_PRELOAD_WAIT_MS;
  const timeoutMs = typeof option === 'object' && option !== null ? option.timeoutMs : undefined;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_PRELOAD_WAIT_MS)
    throw new TypeError(
      `waitForPreload must be true, false or { timeoutMs: an integer from 1 to ${MAX_PRELOAD_WAIT_MS} } (got ${JSON.stringify(option)})`,
    );
  return timeoutMs;
}

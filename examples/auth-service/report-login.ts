// The auth service's one call into the cache warmer, with a deadline: the only place to adapt if
// the login receiver changes. In your service the import is `from 'temporal-cache-warmer/client'`.
import type { Client } from '@temporalio/client';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';

export interface ReportLoginOptions {
  /** The warmer's task queue. Default TEMPORAL_TASK_QUEUE or `cache-warming`. */
  taskQueue?: string;
  /** How long reporting may take, connecting included. Default 2 000 ms. */
  timeoutMs?: number;
  force?: boolean;
  preloadForms?: boolean;
}

/** What happened to the report: a login never fails because warming could not be asked for. */
export type LoginReport = { reported: true } | { reported: false; reason: string };

/** Reports a login (signal-with-start `userLoggedIn` on the user's login shard) within `timeoutMs`. */
export async function reportLogin(
  client: Client,
  userId: string,
  options: ReportLoginOptions = {},
): Promise<LoginReport> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      // The deadline also reaches the gRPC call, so it is abandoned rather than left running.
      client.withDeadline(Date.now() + timeoutMs, () =>
        notifyUserLoggedIn(client, userId, {
          ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
          ...(options.force !== undefined ? { force: options.force } : {}),
          ...(options.preloadForms !== undefined ? { preloadForms: options.preloadForms } : {}),
        }),
      ),
      deadline,
    ]);
    return { reported: true };
  } catch (err) {
    return { reported: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' };
  } finally {
    clearTimeout(timer);
  }
}

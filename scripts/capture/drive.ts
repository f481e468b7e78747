// The capture drive: every phase in turn, in the order the saved scenarios were captured in (a
// later phase relies on what an earlier one left, e.g. settle waits for the moved task).
import type { CaptureContext } from './capture-context';
import { driveBulkWarmAndRefusedPreload } from './drive-bulk-warm-and-refused-preload';
import { driveLoginShards } from './drive-login-shards';
import { driveOptimizer } from './drive-optimizer';
import { driveTaskSignals } from './drive-task-signals';
import { driveUserSessions } from './drive-user-sessions';
import { settle } from './settle';
import { startMovedCriticalTask } from './start-moved-critical-task';
import { startTasks } from './start-tasks';

export async function drive(ctx: CaptureContext): Promise<void> {
  await startTasks(ctx);
  await startMovedCriticalTask(ctx);
  await driveTaskSignals(ctx);
  await driveOptimizer(ctx);
  await driveBulkWarmAndRefusedPreload(ctx);
  await driveUserSessions(ctx);
  await driveLoginShards(ctx);
  await settle(ctx);
}

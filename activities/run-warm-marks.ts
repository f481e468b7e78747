// The warmKey activity's side of run warm marks (store/run-warm-marks.ts): each warm of a task
// workflow sets its run's mark to its own activity id. A mark that could not be written would leave
// an older warm's id in place, which a digest missing this warm matches: so the run's mark is
// overwritten with one that matches no digest as soon as Redis answers again.
import type { Info } from '@temporalio/activity';
import type { Cluster, Redis } from 'ioredis';
import { WORKFLOW_TYPES } from '../core/visibility-query';
import type { RedisKeys } from '../store/redis-keys';
import { UNSURE_WARM_MARK, writeRunWarmMark } from '../store/run-warm-marks';

/** How often marks that could not be written are retried (as `UNSURE_WARM_MARK`). */
const RETRY_EVERY_MS = 5_000;

export class RunWarmMarks {
  /** Runs whose latest mark write failed: their mark may name an older warm. */
  private readonly unsure = new Set<string>();
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Sets the run's mark for a task workflow's warm (other workflows' warms have none); never
   * rejects, so a Redis failure here never fails a warm. Sent beside the warm's first Redis call,
   * it costs no round trip of its own; the warm awaits it before returning, so before its marker
   * can be in history.
   */
  mark(info: Info, warn: (message: string, meta: Record<string, unknown>) => void): Promise<void> {
    const runId = info.workflowExecution?.runId;
    if (info.workflowType !== WORKFLOW_TYPES.task || !runId) return Promise.resolve();
    this.unsure.delete(runId);
    return writeRunWarmMark(this.redis, this.keys, runId, info.activityId).catch((err: unknown) => {
      warn('run warm mark not written; retrying as unsure', { runId, error: String(err) });
      this.unsure.add(runId);
      this.retry ??= setInterval(() => void this.retryUnsure(), RETRY_EVERY_MS).unref();
    });
  }

  private async retryUnsure(): Promise<void> {
    for (const runId of [...this.unsure]) {
      try {
        await writeRunWarmMark(this.redis, this.keys, runId, UNSURE_WARM_MARK);
        this.unsure.delete(runId);
      } catch {
        return; // Redis still away: the next tick tries again
      }
    }
    if (this.unsure.size === 0 && this.retry) {
      clearInterval(this.retry);
      this.retry = undefined;
    }
  }
}

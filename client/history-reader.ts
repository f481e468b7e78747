// The warming client's history: statistics and report data read from Temporal history, with the
// run digests that spare re-reading a closed run's history kept in Redis.
import { readRunWarmMarks, readStrings } from '../store/run-warm-marks';
import type { DeploymentContext } from './deployment-context';
import {
  readWarmingStats,
  type RunCatalogueStore,
  type RunDigestStore,
  type RunWarmMarkStore,
  type StatsOptions,
  type WarmingStats,
} from './history-stats';
import { readReportData, type ReportData } from './report-data';

/** The deployment's warms and preloads as Temporal history records them. */
export class HistoryReader {
  constructor(private readonly context: DeploymentContext) {}

  /**
   * Warming statistics derived from Temporal history (every warm of this queue's tasks, across
   * continue-as-new runs and removed tasks), with each warm's efficiency from Redis metadata, and
   * the queue's user preloads (count, latency, failed sources; left out with a task filter).
   * The seed's `get_warming_stats` (overall) and `get_warming_performance` (per task: `byTask`).
   */
  stats(options: StatsOptions = {}): Promise<WarmingStats> {
    const { temporal, taskQueue, store } = this.context;
    // Warm counts only: an open run's warm mark vouches for its digest's warms, not its interval events.
    return readWarmingStats(temporal, taskQueue, store, { warmMarks: this.warmMarks, ...this.statsOptions(options) });
  }

  /**
   * What `warmctl report --html` draws: the same statistics plus each warm, each task's interval
   * history and each user preload in the window (render it with `renderHtmlReport`).
   */
  reportData(options: StatsOptions = {}): Promise<ReportData> {
    const { temporal, taskQueue, store } = this.context;
    return readReportData(temporal, taskQueue, store, this.statsOptions(options));
  }

  /** The caller's options with this deployment's run digests and instance. */
  private statsOptions(options: StatsOptions): StatsOptions {
    const { instance } = this.context;
    return {
      digests: this.runDigests,
      runCatalogue: this.runCatalogue,
      ...options,
      ...(instance !== undefined ? { instance } : {}),
    };
  }

  /** Run digests in Redis, one key per run, expiring after RUN_DIGEST_TTL_SECONDS (rebuilt from history when gone). */
  private readonly runDigests: RunDigestStore = {
    // Stray data of another type where a digest belongs is no digest: the history is read again
    // and the digest written over it.
    get: (runIds) =>
      readStrings(
        this.context.redis,
        runIds.map((runId) => this.context.keys.runDigest(runId)),
      ),
    set: async (runId, digest) => {
      await this.context.redis.set(this.context.keys.runDigest(runId), digest, 'EX', RUN_DIGEST_TTL_SECONDS);
    },
  };

  /** The queue's run catalogue in Redis, one key, expiring like the digests (listed in full again when gone). */
  private readonly runCatalogue: RunCatalogueStore = {
    // Stray data of another type where the catalogue belongs is none: the runs are listed in full
    // and the catalogue written over it.
    get: async () => {
      const [text] = await readStrings(this.context.redis, [this.runCatalogueKey()]);
      return text ?? null;
    },
    set: async (catalogue) => {
      await this.context.redis.set(this.runCatalogueKey(), catalogue, 'EX', RUN_DIGEST_TTL_SECONDS);
    },
    delete: async () => {
      await this.context.redis.del(this.runCatalogueKey());
    },
  };

  private runCatalogueKey(): string {
    return this.context.keys.runCatalogue(this.context.taskQueue);
  }

  /** Open runs' warm marks, which the deployment's warmKey activities set. */
  private readonly warmMarks: RunWarmMarkStore = {
    get: (runIds) => readRunWarmMarks(this.context.redis, this.context.keys, runIds),
  };
}

/** Run digests outlive any namespace retention they describe, then go (30 days). */
const RUN_DIGEST_TTL_SECONDS = 30 * 86_400;

// The warming client's key operations: invalidate a tag, warm the owners of invalidated keys again
// (tasks through their workflows, pattern keys in bulk warms), import a list of keys to warm once.
import type { WarmingConfig } from '../core/config-schema';
import { keyOwners } from '../core/key-owner';
import { mapLimit } from '../core/map-limit';
import { tagsClause } from '../core/visibility-query';
import { bulkRewarmWorkflowId, type TaskStatus } from '../workflows';
import type { PatternRewarmReport, RewarmOptions, RewarmReport, TaskWarmReport } from '../cache/key-rewarmer';
import { startBulkWarms } from './bulk-warm-start';
import type { ConfigApplier } from './config-applier';
import { TaskNotFoundError, type DeploymentContext } from './deployment-context';
import type { FleetControl, OnProgress } from './fleet-control';
import { importKeys, type ImportOptions, type ImportReport, type ImportTarget } from './key-import';
import type { ListedKey } from './key-list';
import type { TaskControl } from './task-control';

/** What key operations need besides the deployment. */
export interface KeyWarmingParts {
  config: ConfigApplier;
  tasks: TaskControl;
  fleet: FleetControl;
}

/** Keys by what owns them in the applied config. */
export class KeyWarming {
  constructor(
    private readonly context: DeploymentContext,
    private readonly parts: KeyWarmingParts,
  ) {}

  /**
   * Deletes every key tagged `tag`; with `rewarm`, warms the owners of the deleted keys again
   * (and the tasks carrying the tag): see `rewarm`.
   */
  async invalidateTag(
    tag: string,
    options: { rewarm?: boolean; onProgress?: OnProgress } = {},
  ): Promise<{ keys: string[]; rewarm?: RewarmReport }> {
    const keys = await this.context.store.invalidateTag(tag);
    if (!options.rewarm) return { keys };
    return {
      keys,
      rewarm: await this.rewarm(keys, {
        tags: [tag],
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    };
  }

  /**
   * Warms the owners of `keys` again, as the applied config says: a task's key through its task
   * workflow (so the warm counts toward the task), pattern keys in batches (one bulk warm per
   * pattern, as the optimiser warms them); tasks carrying any of `options.tags` are warmed too.
   * Keys no task or pattern owns are reported as `unowned`. What `invalidateByTags(tags, { rewarm: true })`
   * of a cache client created with `rewarmer: warmingClient` calls.
   */
  async rewarm(keys: readonly string[], options: RewarmOptions = {}): Promise<RewarmReport> {
    const started = Date.now();
    const config = await this.parts.config.applied();
    const ownerOf = keyOwners(config ?? { tasks: [], patterns: [] });
    const ownerTasks = new Set<string>();
    const byPattern = new Map<number, Record<string, string>[]>();
    const unowned: string[] = [];
    for (const key of new Set(keys)) {
      const owner = ownerOf(key);
      if (!owner) unowned.push(key);
      else if (owner.kind === 'task') ownerTasks.add(owner.task.taskId);
      else {
        const vars = byPattern.get(owner.index) ?? [];
        vars.push(owner.vars);
        byPattern.set(owner.index, vars);
      }
    }

    // Tasks by tag in one fleet operation, then owners not carrying a tag (looked up one by one).
    const tags = [...new Set(options.tags ?? [])];
    const progress = options.onProgress ? { onProgress: options.onProgress } : {};
    const wait = options.wait !== undefined ? { wait: options.wait } : {};
    const byTag =
      tags.length > 0
        ? await this.parts.fleet.warm(tagsClause(tags), 'invalidate --rewarm', { ...progress, ...wait })
        : undefined;
    const covered = new Set([
      ...(byTag?.results ?? []).map((r) => r.taskId),
      ...(config?.tasks ?? []).filter((task) => task.tags.some((tag) => tags.includes(tag))).map((task) => task.taskId),
    ]);
    const tasks: TaskStatus[] = [];
    const missing: TaskWarmReport[] = [];
    await mapLimit(
      [...ownerTasks].filter((taskId) => !covered.has(taskId)),
      this.context.concurrency,
      async (taskId) => {
        try {
          tasks.push(await this.parts.tasks.status(taskId));
        } catch (err) {
          if (!(err instanceof TaskNotFoundError)) throw err;
          missing.push({ taskId, priority: 0, critical: false, ok: false, durationMs: 0, error: err.message });
        }
      },
    );
    const unique = [...new Map(tasks.map((t) => [t.taskId, t])).values()].sort(
      (a, b) => b.priority - a.priority || a.taskId.localeCompare(b.taskId),
    );
    const run = await this.parts.fleet.warmEach(unique, 'invalidate --rewarm', {
      parallel: this.context.concurrency,
      ...wait,
      ...progress,
    });
    const patterns = await Promise.all(
      [...byPattern].map(([index, vars]) =>
        this.rewarmPattern(
          (config as WarmingConfig).patterns[index] as WarmingConfig['patterns'][number],
          vars,
          options,
        ),
      ),
    );
    const results = [...(byTag?.results ?? []), ...run.results, ...missing];
    const succeeded = results.filter((r) => r.ok).length;
    const requested = byTag?.requested;
    return {
      results,
      succeeded,
      ...(requested !== undefined ? { requested: requested + run.results.length } : {}),
      failed: results.length - succeeded,
      totalDurationMs: Date.now() - started,
      patterns,
      unowned,
    };
  }

  /**
   * Warms `keys` once (`warmctl import`): each through the applied config's pattern it matches
   * (`target.pattern` to name one) or through a named loader, as bulk warms on the main queue,
   * cut into inputs within Temporal's payload limit. See `importKeys` in key-import.ts.
   */
  import(keys: readonly ListedKey[], target: ImportTarget, options: ImportOptions = {}): Promise<ImportReport> {
    const { temporal, taskQueue, instance } = this.context;
    return importKeys(
      { temporal, taskQueue, instance, appliedConfig: () => this.parts.config.applied() },
      keys,
      target,
      options,
    );
  }

  /** One pattern's invalidated keys in bulk warms, waited for unless `wait: false`. */
  private async rewarmPattern(
    pattern: WarmingConfig['patterns'][number],
    vars: Record<string, string>[],
    options: RewarmOptions,
  ): Promise<PatternRewarmReport> {
    const started = await startBulkWarms(
      this.context.temporal,
      this.context.taskQueue,
      { key: pattern.match, loader: pattern.loader, ttlSeconds: pattern.ttlSeconds, tags: [...pattern.tags] },
      vars,
      {
        workflowId: (nonce) => bulkRewarmWorkflowId(pattern.match, nonce, this.context.instance),
        summary: (keys) => `Re-warms ${keys} invalidated ${pattern.match} keys`,
      },
    );
    const report = { match: pattern.match, keys: vars.length, warmed: 0, superseded: 0, failed: 0 };
    if (options.wait === false) return report;
    for (const { handle } of started) {
      const result = await handle.result();
      report.warmed += result.warmed;
      report.superseded += result.superseded;
      report.failed += result.failed;
    }
    return report;
  }
}

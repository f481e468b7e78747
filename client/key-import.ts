// `warmctl import`: warms a list of keys once, each through the pattern of the applied config it
// matches (or one named loader), as bulk warms on the deployment's queue. Only placeholder values
// travel in the workflow inputs, cut to fit Temporal's payload limit; values go straight to Redis.
import type { Client } from '@temporalio/client';
import type { LoaderSpec, WarmingConfig } from '../core/config-schema';
import { quoteKey } from '../core/cache-key';
import { keyOwners } from '../core/key-owner';
import { bulkImportWorkflowId } from '../core/workflow-ids';
import type { BulkWarmInput } from '../workflows';
import { BULK_INPUT_BUDGET_BYTES, startBulkWarms, type StartedBulkWarm } from './bulk-warm-start';
import type { ListedKey, RefusedLine } from './key-list';

/** Which loader warms the imported keys. */
export type ImportTarget =
  | {
      /** Only this pattern's `match` (it must be in the applied config); default: the first pattern each key matches. */
      pattern?: string;
    }
  | {
      /** A custom loader registered in the worker, called with `vars.key` = the key. */
      loader: string;
      ttlSeconds: number;
      tags?: string[];
    };

/** Options of `importKeys`. */
export interface ImportOptions {
  /**
   * Wait for the bulk warms to finish; false returns once they are started.
   * @default true
   */
  wait?: boolean;
  /**
   * Called as keys are started and as bulk warms finish: (keys done, keys in all).
   * @default none
   */
  onProgress?: (done: number, total: number) => void;
  /**
   * Bytes of placeholder values (as JSON) one bulk warm takes: the list is cut into parts of at
   * most this, each one workflow input, well under Temporal's 2 MB payload limit.
   * @default 1048576 (1 MiB)
   */
  maxInputBytes?: number;
}

/** One template's share of an import. */
export interface ImportTemplateReport {
  /** The pattern's `match`, or `{key}` for a named loader. */
  template: string;
  keys: number;
  bulkWarms: number;
  warmed: number;
  superseded: number;
  failed: number;
  /** Why a bulk warm failed as a whole (its keys count as failed), if one did. */
  errors: string[];
}

/** What an import did: keys handed to bulk warms, lines refused, and (when waited for) the outcome. */
export interface ImportReport {
  /** Keys started, in bulk warms. */
  started: number;
  refused: RefusedLine[];
  /** Bulk warm workflow ids, one per part of a template's keys. */
  workflowIds: string[];
  templates: ImportTemplateReport[];
  warmed: number;
  superseded: number;
  failed: number;
  /** False when the warms were started and not waited for. */
  waited: boolean;
  durationMs: number;
}

/** What an import needs of the warming client. */
export interface ImportContext {
  temporal: Client;
  taskQueue: string;
  /** The instance name its bulk warms' ids carry, or undefined. */
  instance?: string | undefined;
  appliedConfig(): Promise<WarmingConfig | undefined>;
}

interface TemplateGroup {
  template: BulkWarmInput['template'];
  vars: Record<string, string>[];
}

/**
 * Warms `keys` once. With a pattern target each key must match a pattern of the applied config
 * (the given one, else the first it matches): a key that matches none is refused, naming its line.
 * Nothing starts when the target itself is wrong (no config, unknown pattern).
 */
export async function importKeys(
  context: ImportContext,
  keys: readonly ListedKey[],
  target: ImportTarget,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const started = Date.now();
  const maxInputBytes = options.maxInputBytes ?? BULK_INPUT_BUDGET_BYTES;
  if (!Number.isInteger(maxInputBytes) || maxInputBytes < 1024 || maxInputBytes > BULK_INPUT_BUDGET_BYTES)
    throw new Error(`maxInputBytes must be an integer from 1024 to ${BULK_INPUT_BUDGET_BYTES} (got ${maxInputBytes})`);
  const refused: RefusedLine[] = [];
  const groups = new Map<string, TemplateGroup>();
  if ('loader' in target) {
    const loader: LoaderSpec = { type: 'custom', name: target.loader };
    const template = { key: '{key}', loader, ttlSeconds: target.ttlSeconds, tags: [...(target.tags ?? [])] };
    groups.set(template.key, { template, vars: keys.map(({ key }) => ({ key })) });
  } else {
    // Through patterns only: a task's key is warmed by its task, never by an import.
    const ownerOf = keyOwners({ tasks: [], patterns: await importPatterns(context, target.pattern) });
    for (const { key, line } of keys) {
      const owner = ownerOf(key);
      if (owner?.kind !== 'pattern') {
        refused.push({
          line,
          reason: target.pattern
            ? `key ${quoteKey(key)} does not match --pattern ${target.pattern}`
            : `key ${quoteKey(key)} matches no pattern of the applied config`,
        });
        continue;
      }
      const { pattern, vars } = owner;
      const group = groups.get(pattern.match) ?? {
        template: {
          key: pattern.match,
          loader: pattern.loader,
          ttlSeconds: pattern.ttlSeconds,
          tags: [...pattern.tags],
        },
        vars: [],
      };
      group.vars.push(vars);
      groups.set(pattern.match, group);
    }
  }

  const total = [...groups.values()].reduce((sum, group) => sum + group.vars.length, 0);
  const runs: { report: ImportTemplateReport; warms: StartedBulkWarm[] }[] = [];
  let startedKeys = 0;
  for (const group of groups.values()) {
    if (group.vars.length === 0) continue;
    const warms = await startBulkWarms(
      context.temporal,
      context.taskQueue,
      group.template,
      group.vars,
      {
        workflowId: (nonce) => bulkImportWorkflowId(group.template.key, nonce, context.instance),
        summary: (n) => `Imports ${n} ${group.template.key} keys`,
      },
      maxInputBytes,
    );
    startedKeys += group.vars.length;
    if (options.wait === false) options.onProgress?.(startedKeys, total);
    runs.push({
      warms,
      report: {
        template: group.template.key,
        keys: group.vars.length,
        bulkWarms: warms.length,
        warmed: 0,
        superseded: 0,
        failed: 0,
        errors: [],
      },
    });
  }
  const workflowIds = runs.flatMap((run) => run.warms.map((warm) => warm.handle.workflowId));
  if (options.wait !== false) {
    let done = 0;
    await Promise.all(
      runs.flatMap(({ report, warms }) =>
        warms.map(async ({ handle, keys: count }) => {
          try {
            const result = await handle.result();
            report.warmed += result.warmed;
            report.superseded += result.superseded;
            report.failed += result.failed;
          } catch (err) {
            report.failed += count;
            report.errors.push(failureMessage(err));
          }
          options.onProgress?.((done += count), total);
        }),
      ),
    );
  }
  const templates = runs.map((run) => run.report);
  const sum = (field: 'warmed' | 'superseded' | 'failed') => templates.reduce((n, t) => n + t[field], 0);
  return {
    started: startedKeys,
    refused,
    workflowIds,
    templates,
    warmed: sum('warmed'),
    superseded: sum('superseded'),
    failed: sum('failed'),
    waited: options.wait !== false,
    durationMs: Date.now() - started,
  };
}

/** The applied config's patterns an import may use: all of them, or the one named. */
async function importPatterns(context: ImportContext, match: string | undefined): Promise<WarmingConfig['patterns']> {
  const config = await context.appliedConfig();
  const patterns = config?.patterns ?? [];
  if (patterns.length === 0) {
    throw new Error(
      `${config ? 'the applied config has no patterns' : 'no config is applied'}: apply one with the key's pattern first, or import through --loader`,
    );
  }
  if (match === undefined) return patterns;
  const pattern = patterns.find((p) => p.match === match);
  if (!pattern) {
    throw new Error(
      `--pattern ${match} is not a pattern of the applied config (it has ${patterns.map((p) => p.match).join(', ')})`,
    );
  }
  return [pattern];
}

/** The innermost cause's message: a failed workflow's own reason, not "Workflow execution failed". */
function failureMessage(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

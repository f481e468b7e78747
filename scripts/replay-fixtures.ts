// The replay fixtures `npm run capture-histories` writes: the manifest's types, saving every run's
// history as JSON under test/replay/<version>/, and replaying them on the code that made them.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boundedId } from '../core/temporal-limits';
import { buildWorkflowBundle, PAYLOAD_CONVERTER_PATH } from '../worker/workflow-bundle';
import { say } from './capture/say';
import { nondeterminismSignature } from './replay-signature';

/** One saved history: which workflow, which run of its chain, and what it went through. */
export interface ReplayFixture {
  file: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  status: string;
  events: number;
  /**
   * Set when this history did not replay even on the code that made it (a bug of that release):
   * the nondeterminism it hit. Later code must replay it or fail exactly so, nothing else.
   */
  failsOnOwnCode?: string;
  /**
   * The last run of a task workflow's chain: the chain's own counters (its `status` query) when
   * capture ended, which stats read from the chain's histories must equal (from 0.4.0).
   */
  taskCounters?: TaskCounters;
}

/** A task workflow's count of succeeded and failed warms over its whole continue-as-new chain. */
export interface TaskCounters {
  warmCount: number;
  failureCount: number;
}

export interface ReplayManifest {
  version: string;
  commit: string;
  capturedAt: string;
  sdk: string;
  temporalCli: string;
  /** What each scenario drove, by workflow id. */
  scenarios: Record<string, string>;
  fixtures: ReplayFixture[];
}

/**
 * Every execution in the namespace, each run of a chain on its own, as history JSON files; the last
 * run of each task chain carries its counters from `taskCounters` (by workflow id).
 */
export async function saveHistories(
  client: Client,
  outDir: string,
  taskCounters: ReadonlyMap<string, TaskCounters>,
): Promise<ReplayFixture[]> {
  if (existsSync(outDir)) rmSync(outDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const executions: { workflowId: string; runId: string; type: string; status: string; startMs: number }[] = [];
  for await (const execution of client.workflow.list()) {
    executions.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      type: execution.type,
      status: execution.status.name,
      startMs: execution.startTime.getTime(),
    });
  }
  executions.sort((a, b) => a.workflowId.localeCompare(b.workflowId) || a.startMs - b.startMs);
  const fixtures: ReplayFixture[] = [];
  const runsSeen = new Map<string, number>();
  for (const execution of executions) {
    const runIndex = runsSeen.get(execution.workflowId) ?? 0;
    runsSeen.set(execution.workflowId, runIndex + 1);
    const handle: WorkflowHandle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const history = await handle.fetchHistory();
    const dir = join(outDir, execution.type);
    mkdirSync(dir, { recursive: true });
    // A file name holds 255 bytes: a long workflow id (a long user's preload) is cut, with a digest.
    const name = `${boundedId('', execution.workflowId.replace(/[^\w.-]+/g, '_'), '', 160)}.run${runIndex}.json`;
    writeFileSync(join(dir, name), `${historyToJSON(history)}\n`);
    const counters = execution.status !== 'CONTINUED_AS_NEW' ? taskCounters.get(execution.workflowId) : undefined;
    fixtures.push({
      file: `${execution.type}/${name}`,
      workflowType: execution.type,
      workflowId: execution.workflowId,
      runId: execution.runId,
      status: execution.status,
      events: history.events?.length ?? 0,
      ...(counters ? { taskCounters: counters } : {}),
    });
  }
  return fixtures;
}

/**
 * Replays every saved history on the code that made it and marks the ones that fail: such a
 * history shows a bug of this release (its workflows wedge on any replay), not a later change.
 */
export async function replayOnOwnCode(outDir: string, fixtures: ReplayFixture[]): Promise<void> {
  const byRunId = new Map(fixtures.map((fixture) => [fixture.runId, fixture]));
  const histories = fixtures.map((fixture) => ({
    workflowId: fixture.workflowId,
    history: historyFromJSON(JSON.parse(readFileSync(join(outDir, fixture.file), 'utf8'))),
  }));
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await buildWorkflowBundle(), dataConverter: { payloadConverterPath: PAYLOAD_CONVERTER_PATH } },
    histories,
  )) {
    const fixture = byRunId.get(result.runId);
    if (result.error && fixture) {
      fixture.failsOnOwnCode = nondeterminismSignature(result.error.message);
      say(`${fixture.file} does not replay on its own code: ${fixture.failsOnOwnCode}`);
    }
  }
}

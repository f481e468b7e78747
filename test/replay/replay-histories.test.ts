// Every saved history (test/replay/<version>/, captured by `npm run capture-histories` from real
// runs of that release) replays against today's workflow code. A change to running workflow code
// that is not behind patched() or a new deployment version fails here with the workflow and event.
// A history marked failsOnOwnCode did not replay even on its own release (see its manifest): it
// may fail exactly that way and no other. They replay against the traced bundle too (the OpenTelemetry
// workflow interceptors, used when tracing is on), which must not change a command.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nondeterminismSignature } from '../../scripts/replay-signature';
import { PAYLOAD_CONVERTER_PATH } from '../../worker/create-worker';
import { buildWorkflowBundle } from '../../worker/workflow-bundle';
import * as workflows from '../../workflows';
import { quietTemporalRuntime, testServers } from '../helpers/test-env';
import { loadReplayManifests, readFixtureHistory, REPLAY_ROOT, workflowTypesOf } from './replay-fixtures';

const manifests = loadReplayManifests();

let tracedBundle: WorkflowBundleWithSourceMap;
/** Spans the traced bundle's workflows export while replaying: none, as a replay is not a new run. */
const replaySpans = new InMemorySpanExporter();

beforeAll(async () => {
  quietTemporalRuntime();
  const quiet = () => undefined;
  tracedBundle = await buildWorkflowBundle(
    { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: console.warn, error: console.error },
    true,
  );
}, 120_000);

test('a set of replay fixtures is saved per release, each covering every workflow type of its release', () => {
  expect(manifests.length).toBeGreaterThan(0);
  // Every workflow the bundle exports is known here (a new type must enter the fixtures).
  const exported = Object.entries(workflows).filter(
    ([name, value]) => typeof value === 'function' && /Workflow$/.test(name),
  );
  expect(exported.map(([name]) => name).sort()).toEqual(workflowTypesOf('999'));
  for (const manifest of manifests) {
    const types = new Set(manifest.fixtures.map((fixture) => fixture.workflowType));
    expect({ version: manifest.version, types: [...types].sort() }).toEqual({
      version: manifest.version,
      types: workflowTypesOf(manifest.version),
    });
    // Every file on disk is listed, and every listed file is on disk.
    const onDisk = readdirSync(join(REPLAY_ROOT, manifest.version), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((dir) =>
        readdirSync(join(REPLAY_ROOT, manifest.version, dir.name)).map((file) => `${dir.name}/${file}`),
      );
    expect(onDisk.sort()).toEqual(manifest.fixtures.map((fixture) => fixture.file).sort());
  }
});

describe.each(
  manifests.flatMap((manifest) => [
    [manifest.version, 'default', manifest] as const,
    [manifest.version, 'traced', manifest] as const,
  ]),
)('histories of release %s, %s bundle', (version, bundle, manifest) => {
  test(`replay against the current workflow code without non-determinism (${manifest.fixtures.length} runs)`, async () => {
    const histories = manifest.fixtures.map((fixture) => ({
      workflowId: fixture.workflowId,
      history: historyFromJSON(readFixtureHistory(version, fixture.file)),
    }));
    const knownFailure = new Map(manifest.fixtures.map((fixture) => [fixture.runId, fixture.failsOnOwnCode]));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      {
        workflowBundle: bundle === 'traced' ? tracedBundle : { codePath: testServers().workflowBundlePath },
        dataConverter: { payloadConverterPath: PAYLOAD_CONVERTER_PATH },
        replayName: `replay-${version}-${bundle}`,
        ...(bundle === 'traced'
          ? { sinks: { exporter: makeWorkflowExporter(new SimpleSpanProcessor(replaySpans), Resource.empty()) } }
          : {}),
      },
      histories,
    )) {
      replayed++;
      if (!result.error) continue;
      // A history that never replayed on its own release may fail the same way, and only so.
      const signature = nondeterminismSignature(result.error.message);
      if (signature === knownFailure.get(result.runId)) continue;
      failures.push(`${result.workflowId} (run ${result.runId}): ${signature}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(manifest.fixtures.length);
    expect(replaySpans.getFinishedSpans()).toEqual([]);
  });
});

// `npm run capture-histories -- --version X`: drives every workflow type through its paths against
// real servers of its own and saves each run's history as JSON under test/replay/<X>/, the replay
// fixtures that `npm test` replays against the current workflow code (docs/upgrading.md). The drive's
// phases are in scripts/capture/, the fixtures' types and saving in scripts/replay-fixtures.ts.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWarmingClient } from '../client/warming-client';
import { createWorker } from '../worker/create-worker';
import { createCaptureContext, PREFIX, TASK_QUEUE } from './capture/capture-context';
import { drive } from './capture/drive';
import { say } from './capture/say';
import { startDemoOrigin, type DemoOrigin } from './demo-origin';
import {
  startRedisServer,
  startTemporalDevServer,
  temporalCliPath,
  waitForTemporal,
  type LocalServer,
} from './local-stack';
import { PROJECT_ROOT } from './project-root';
import { replayOnOwnCode, saveHistories, type ReplayManifest } from './replay-fixtures';

export type { ReplayFixture, ReplayManifest, TaskCounters } from './replay-fixtures';

async function run(): Promise<void> {
  const version = argument('--version');
  if (!version || !/^[\w.-]+$/.test(version)) throw new Error('--version must name the release, e.g. --version 0.1.0');
  const outDir = join(PROJECT_ROOT, 'test', 'replay', version);
  if (existsSync(outDir) && !process.argv.includes('--overwrite')) {
    throw new Error(`${outDir} exists: a released set is never replaced (pass --overwrite to redo an unreleased one)`);
  }

  // Workflows log the malformed signals this script sends on purpose: only errors are news here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const servers: LocalServer[] = [];
  let origin: DemoOrigin | undefined;
  try {
    const [temporal, redisServer] = await Promise.all([startTemporalDevServer(), startRedisServer()]);
    servers.push(temporal, redisServer);
    await waitForTemporal(temporal.address);
    origin = await startDemoOrigin({ latencyScale: 0.2 });
    process.env.TEMPORAL_ADDRESS = temporal.address;
    process.env.REDIS_URL = redisServer.url;

    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    const redis = new Redis(redisServer.url);
    const warming = await createWarmingClient({ client, redis, taskQueue: TASK_QUEUE, prefix: PREFIX });
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    const worker = await createWorker({
      connection: nativeConnection,
      taskQueue: TASK_QUEUE,
      redis,
      prefix: PREFIX,
      shutdownGraceTime: '2s',
    });
    const ctx = createCaptureContext({ client, warming, redis, redisUrl: redisServer.url, originUrl: origin.url });
    say('worker started; driving scenarios');
    await worker.runUntil(() => drive(ctx));
    say('scenarios done; saving histories');
    const fixtures = await saveHistories(client, outDir, ctx.taskCounters);
    await replayOnOwnCode(outDir, fixtures);
    const manifest: ReplayManifest = {
      version,
      commit: git(['rev-parse', 'HEAD']),
      capturedAt: new Date().toISOString(),
      sdk: (JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as { version: string })
        .version,
      temporalCli: temporalCliVersion(),
      scenarios: ctx.scenarios,
      fixtures,
    };
    writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    say(`saved ${fixtures.length} histories to ${outDir}`);
    await warming.close();
    await connection.close();
    await nativeConnection.close();
    redis.disconnect();
  } finally {
    await origin?.close();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function temporalCliVersion(): string {
  try {
    return execFileSync(temporalCliPath(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

if (require.main === module) {
  run().catch((err: unknown) => {
    console.error(`capture-histories: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

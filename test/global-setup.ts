// Starts one Temporal dev server (with the limits of the project's deployment) and one redis-server
// for the whole jest run, on free loopback ports, and bundles the workflows once. A server that
// cannot start fails the run: nothing is skipped.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startRedisServer, startTemporalDevServer, waitForTemporal, type LocalServer } from '../scripts/local-stack';
import { buildWorkflowBundle, WARNINGS_ONLY_BUNDLE_LOGGER } from '../worker/workflow-bundle';
import { productionDynamicConfig } from './helpers/production-limits';

declare global {
  var __CW_TEST_SERVERS__: LocalServer[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const servers: LocalServer[] = [];
  globalThis.__CW_TEST_SERVERS__ = servers;
  // If jest dies without running teardown, do not leave servers behind.
  process.once('exit', () => {
    for (const server of servers) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  try {
    const [temporal, redis] = await Promise.all([
      startTemporalDevServer({ dynamicConfig: productionDynamicConfig() }).then(
        (server) => (servers.push(server), server),
      ),
      startRedisServer().then((server) => (servers.push(server), server)),
    ]);
    await waitForTemporal(temporal.address);
    const root = resolve(__dirname, '..');
    const tmp = join(root, '.tmp');
    mkdirSync(tmp, { recursive: true });
    // From source, with the options of the build's bundle (a stale dist/ must not be tested).
    const { code } = await buildWorkflowBundle(WARNINGS_ONLY_BUNDLE_LOGGER);
    const bundlePath = join(tmp, `workflow-bundle-${process.pid}.js`);
    writeFileSync(bundlePath, code);
    process.env.CW_TEST_TEMPORAL_ADDRESS = temporal.address;
    process.env.CW_TEST_REDIS_URL = redis.url;
    process.env.CW_TEST_WORKFLOW_BUNDLE = bundlePath;
    process.env.CW_TEST_REDIS_PID = String(redis.pid);
    process.env.CW_TEST_TEMPORAL_PID = String(temporal.pid);
  } catch (err) {
    await Promise.all(servers.map((server) => server.stop()));
    throw err;
  }
}

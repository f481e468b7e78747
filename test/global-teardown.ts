// Stops the servers global-setup started, whatever the tests did.
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__CW_TEST_SERVERS__ ?? [];
  await Promise.all(servers.map((server) => server.stop()));
  const bundle = process.env.CW_TEST_WORKFLOW_BUNDLE;
  if (bundle) rmSync(bundle, { force: true });
}

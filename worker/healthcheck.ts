// The container image's HEALTHCHECK: asks the worker's own /livez (WARMING_HEALTH_ADDRESS) and
// exits 0 when it answers 200, 1 otherwise, with one line saying why.
import { parseListenAddress } from './health-server';

async function run(): Promise<void> {
  const raw = process.env.WARMING_HEALTH_ADDRESS;
  if (!raw) throw new Error('WARMING_HEALTH_ADDRESS is not set: the worker serves no health endpoint');
  const { host, port } = parseListenAddress(raw, 'WARMING_HEALTH_ADDRESS');
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const response = await fetch(`http://${target.includes(':') ? `[${target}]` : target}:${port}/livez`, {
    signal: AbortSignal.timeout(3_000),
  });
  if (response.status !== 200) throw new Error(`/livez answered ${response.status}: ${(await response.text()).trim()}`);
}

run().catch((err: unknown) => {
  console.error(`healthcheck: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

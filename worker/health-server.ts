// The worker's health endpoint (WARMING_HEALTH_ADDRESS): what Kubernetes probes and the image's
// HEALTHCHECK ask. It says only what this process knows, and the docs say what it does not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WarmingWorkerHealth } from './create-worker';

/** `host:port`, the form WARMING_METRICS_ADDRESS and WARMING_HEALTH_ADDRESS take. */
export function parseListenAddress(value: string, name: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[\w.-]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new Error(`${name} must be host:port, e.g. 0.0.0.0:9465 (got "${value}")`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Liveness (`/livez`): the event loop answers and neither Temporal worker has failed or stopped.
 * Readiness (`/readyz`): both workers are running (polling, not draining) and the Redis
 * connection is ready; a critical worker not started yet (`WARMING_CRITICAL_QUEUE=auto`) counts for neither. Neither proves that Temporal answers polls: the SDK retries those inside
 * a running worker, so watch the poll metrics or the task queue's pollers for that.
 */
export async function startHealthServer(
  address: { host: string; port: number },
  health: () => WarmingWorkerHealth,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const state = health();
    const path = (request.url ?? '/').split('?')[0];
    // A critical worker not started (WARMING_CRITICAL_QUEUE=auto, no critical work yet) is neither down nor unready.
    const workers = Object.values(state.workers).filter((w) => w !== 'NOT_STARTED');
    const ok =
      path === '/livez'
        ? workers.every((w) => w !== 'FAILED' && w !== 'STOPPED')
        : path === '/readyz'
          ? workers.every((w) => w === 'RUNNING') && state.redis === 'ready'
          : undefined;
    if (ok === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /livez or /readyz\n');
      return;
    }
    response
      .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(`${JSON.stringify({ ok, ...state })}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`WARMING_HEALTH_ADDRESS ${address.host}:${address.port}: ${err.message}`)),
    );
    server.listen(address.port, address.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

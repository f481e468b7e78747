// A minimal auth service that reports each login to the cache warmer, so the user's session,
// navigation and recent forms are in Redis before the first page asks. Run it with
// `npm run build && node dist/examples/auth-service/main.js`; `POST /login {"userId": "alice"}`.
// Temporal settings come from loadClientConnectConfig (environment and config file, as the
// Temporal CLI reads them); AUTH_SERVICE_PORT (default 3000) and AUTH_SERVICE_HOST (127.0.0.1)
// say where it listens; REPORT_LOGIN_TIMEOUT_MS (default 2000) bounds each report.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { userIdProblem } from '../../core/user-login';
import { reportLogin } from './report-login';

const MAX_BODY_BYTES = 16 * 1024;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535 * 1000) {
    throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  }
  return value;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function run(): Promise<void> {
  const port = positiveInt('AUTH_SERVICE_PORT', 3000);
  const host = process.env.AUTH_SERVICE_HOST || '127.0.0.1';
  const timeoutMs = positiveInt('REPORT_LOGIN_TIMEOUT_MS', 2_000);
  const { connectionOptions, namespace } = loadClientConnectConfig();
  // Lazy: the service starts (and logs users in) even while Temporal is unreachable.
  const connection = Connection.lazy({
    ...connectionOptions,
    address: connectionOptions.address ?? 'localhost:7233',
    connectTimeout: timeoutMs,
  });
  const client = new Client({ connection, namespace: namespace ?? 'default' });

  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST' || request.url !== '/login') return reply(response, 404, { error: 'POST /login' });
      let body: unknown;
      try {
        body = await readJson(request);
      } catch (err) {
        return reply(response, 400, { error: `body must be JSON: ${(err as Error).message}` });
      }
      const userId = (body as { userId?: unknown } | null)?.userId;
      const problem = userIdProblem(userId);
      if (problem) return reply(response, 400, { error: problem });
      // ... check the password here; this example accepts every login ...
      const report = await reportLogin(client, userId as string, { timeoutMs });
      if (!report.reported)
        console.error(`auth-service: login of ${userId as string} not reported to the cache warmer: ${report.reason}`);
      reply(response, 200, { userId, loggedIn: true, preload: report.reported ? 'requested' : 'not requested' });
    })().catch((err: unknown) => reply(response, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  console.log(`auth service listening on http://${host}:${address.port}`);
  const stop = () => {
    server.close();
    void connection.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err: unknown) => {
  console.error(`auth-service: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// The bench's own HTTP origin, run as a child process so its CPU is not the measured process's:
// `/items/{id}?ms=N` answers after N ms with itemValue(id); user-preload routes; `/__stats`
// reports how many requests it served, in all and per route. Prints `listening <port>` once ready.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formsList, itemValue } from './bench-values';

interface Route {
  name: string;
  pattern: RegExp;
  body(match: RegExpExecArray): string;
}

const ROUTES: Route[] = [
  { name: 'item', pattern: /^\/items\/([\w-]+)$/, body: (m) => itemValue(m[1] as string) },
  {
    name: 'session',
    pattern: /^\/users\/([\w-]+)\/session$/,
    body: (m) => JSON.stringify({ userId: m[1], roles: ['customer'] }),
  },
  {
    name: 'navigation',
    pattern: /^\/users\/([\w-]+)\/navigation$/,
    body: (m) => JSON.stringify({ userId: m[1], recent: ['/orders'] }),
  },
  { name: 'forms', pattern: /^\/users\/([\w-]+)\/forms$/, body: (m) => JSON.stringify(formsList(m[1] as string)) },
  {
    name: 'form',
    pattern: /^\/forms\/([\w-]+)$/,
    body: (m) => JSON.stringify({ formId: m[1], fields: ['name', 'address'] }),
  },
];

async function run(): Promise<void> {
  let requests = 0;
  const byRoute: Record<string, number> = {};
  const server = createServer((request, response) => {
    const [path = '/', query = ''] = (request.url ?? '/').split('?', 2);
    if (path === '/__stats') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, byRoute }));
      return;
    }
    requests++;
    const delayMs = Number(new URLSearchParams(query).get('ms') ?? 0);
    for (const route of ROUTES) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      byRoute[route.name] = (byRoute[route.name] ?? 0) + 1;
      const body = route.body(match);
      const send = () => response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      if (delayMs > 0) setTimeout(send, delayMs);
      else send();
      return;
    }
    response.writeHead(404).end('not found');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`listening ${(server.address() as AddressInfo).port}`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The bench's death must not leave this process behind.
  process.once('disconnect', stop);
}

run().catch((err: unknown) => {
  console.error(`bench origin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// A real HTTP origin for tests: routes answer with values, errors or delays, and every request is counted.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginReply {
  status?: number;
  body?: string | Buffer;
  delayMs?: number;
  headers?: Record<string, string>;
}

export type OriginRoute = (request: IncomingMessage, hit: number) => OriginReply | Promise<OriginReply>;

export interface TestOrigin {
  url: string;
  /** Requests per path. */
  hits: Map<string, number>;
  /** Every request's path and query, in the order they arrived. */
  requests: string[];
  hitsFor(path: string): number;
  /** Replaces (or adds) the route for an exact path. */
  route(path: string, route: OriginRoute): void;
  /** Adds a route for every path under `prefix` (ending in `/`) that has no exact route; the longest prefix wins. */
  routeUnder(prefix: string, route: OriginRoute): void;
  /** Loads in flight right now, and the most seen at once. */
  inFlight(): number;
  maxInFlight(): number;
  close(): Promise<void>;
}

export async function startTestOrigin(routes: Record<string, OriginRoute> = {}): Promise<TestOrigin> {
  const table = new Map(Object.entries(routes));
  const under = new Map<string, OriginRoute>();
  const routeFor = (path: string): OriginRoute | undefined => {
    const exact = table.get(path);
    if (exact) return exact;
    const prefixes = [...under.keys()].filter((prefix) => path.startsWith(prefix)).sort((a, b) => b.length - a.length);
    return prefixes[0] === undefined ? undefined : under.get(prefixes[0]);
  };
  const hits = new Map<string, number>();
  const requests: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    requests.push(request.url ?? '/');
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const route = routeFor(path);
      const reply: OriginReply = route ? await route(request, hit) : { status: 404, body: 'no such route' };
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body ?? '');
    } catch (err) {
      response.writeHead(500);
      response.end(String(err));
    } finally {
      inFlight--;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    requests,
    hitsFor: (path) => hits.get(path) ?? 0,
    route: (path, route) => void table.set(path, route),
    routeUnder: (prefix, route) => {
      if (!prefix.endsWith('/')) throw new Error(`a route prefix ends in / (got ${prefix})`);
      under.set(prefix, route);
    },
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// The demo's slow origin: a small HTTP API with realistic latency (a database behind a service),
// serving the routes examples/warming.config.json warms. It counts every request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoOrigin {
  readonly url: string;
  readonly requests: number;
  /** Requests per route family (`/products/{id}`, `/users/{userId}/session`, ...). */
  readonly byRoute: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export interface DemoOriginOptions {
  port?: number;
  host?: string;
  /** Multiplies every latency; 0 makes the origin instant (tests). Default 1. */
  latencyScale?: number;
}

const PRODUCT_COUNT = 500;

interface Route {
  pattern: RegExp;
  name: string;
  /** [min, max] latency in ms before scaling. */
  latencyMs: [number, number];
  body(match: RegExpExecArray): unknown;
}

const ROUTES: Route[] = [
  {
    pattern: /^\/products$/,
    name: '/products',
    latencyMs: [250, 450],
    body: () => ({ products: range(PRODUCT_COUNT).map(product) }),
  },
  {
    pattern: /^\/products\/(\d+)$/,
    name: '/products/{id}',
    latencyMs: [40, 120],
    body: (m) => (Number(m[1]) < PRODUCT_COUNT ? product(Number(m[1])) : undefined),
  },
  {
    pattern: /^\/categories$/,
    name: '/categories',
    latencyMs: [80, 160],
    body: () => ({ categories: ['books', 'games', 'garden', 'kitchen', 'music'] }),
  },
  {
    pattern: /^\/prices$/,
    name: '/prices',
    latencyMs: [120, 220],
    body: () => ({
      at: new Date().toISOString(),
      prices: range(50).map((i) => ({ id: i, cents: 999 + ((i * 37) % 4000) })),
    }),
  },
  {
    pattern: /^\/feature-flags$/,
    name: '/feature-flags',
    latencyMs: [20, 60],
    body: () => ({ newCheckout: true, darkMode: false }),
  },
  {
    pattern: /^\/pages\/home$/,
    name: '/pages/home',
    latencyMs: [150, 300],
    body: () => ({ hero: 'Autumn sale', modules: ['deals', 'recent', 'recommended'] }),
  },
  {
    pattern: /^\/users\/([\w-]+)\/session$/,
    name: '/users/{userId}/session',
    latencyMs: [30, 90],
    body: (m) => ({ userId: m[1], roles: ['customer'], locale: 'en-GB' }),
  },
  {
    pattern: /^\/users\/([\w-]+)\/navigation$/,
    name: '/users/{userId}/navigation',
    latencyMs: [60, 140],
    body: (m) => ({ userId: m[1], recent: ['/orders', '/products/7', '/account'] }),
  },
  {
    pattern: /^\/users\/([\w-]+)\/forms$/,
    name: '/users/{userId}/forms',
    latencyMs: [40, 100],
    body: (m) =>
      range(8).map((i) => ({ id: `${m[1]}-f${i}`, updatedAt: new Date(Date.UTC(2026, 10, 1 + i)).toISOString() })),
  },
  {
    pattern: /^\/forms\/([\w-]+)$/,
    name: '/forms/{formId}',
    latencyMs: [30, 80],
    body: (m) => ({ formId: m[1], fields: ['name', 'address', 'card'] }),
  },
];

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function product(id: number) {
  return { id, name: `Product ${id}`, cents: 499 + ((id * 131) % 9000), stock: (id * 7) % 40 };
}

export async function startDemoOrigin(options: DemoOriginOptions = {}): Promise<DemoOrigin> {
  const scale = options.latencyScale ?? 1;
  const byRoute = new Map<string, number>();
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests++;
    const path = (request.url ?? '/').split('?')[0] as string;
    for (const route of ROUTES) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      byRoute.set(route.name, (byRoute.get(route.name) ?? 0) + 1);
      const [min, max] = route.latencyMs;
      const delay = (min + Math.random() * (max - min)) * scale;
      setTimeout(() => {
        const body = route.body(match);
        if (body === undefined) {
          response.writeHead(404).end('not found');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }, delay);
      return;
    }
    response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    get requests() {
      return requests;
    },
    byRoute,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Standalone: `node dist/scripts/demo-origin.js` (the Docker Compose `origin` service). */
async function main(): Promise<void> {
  const port = Number(process.env.DEMO_ORIGIN_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`DEMO_ORIGIN_PORT must be a port number (got "${process.env.DEMO_ORIGIN_PORT}")`);
  const origin = await startDemoOrigin({ port, host: process.env.DEMO_ORIGIN_HOST ?? '127.0.0.1' });
  console.log(`demo origin listening on ${origin.url}`);
  const stop = () => void origin.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`demo origin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

// The package's entry points by role, as an installed package resolves them: each subpath of
// package.json "exports" loads only what its role needs. Runs against the build in dist/
// (`npm test` builds first), each import in a fresh `node` so nothing is cached from another.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

interface Loaded {
  /** The file the package specifier resolved to, relative to the package root. */
  resolved: string;
  /** The entry point's export names. */
  exports: string[];
  /** Every `@temporalio/*` package that was required, directly or by a dependency. */
  temporalPackages: string[];
  /** Whether ioredis was required. */
  ioredis: boolean;
}

/**
 * Requires `specifier` by the package's own name in a fresh node (Node's self-reference resolves
 * it through "exports", as `node_modules/temporal-cache-warmer` would be), recording every module
 * request made while it loads.
 */
function load(specifier: string): Loaded {
  const script = `
    const Module = require('node:module');
    const path = require('node:path');
    const requests = new Set();
    const load = Module._load;
    Module._load = function (request, ...rest) { requests.add(request); return load.call(this, request, ...rest); };
    const resolved = require.resolve(${JSON.stringify(specifier)});
    const api = require(${JSON.stringify(specifier)});
    const files = Object.keys(require.cache);
    const temporal = new Set();
    const scoped = new RegExp('(?:^|node_modules/)(@temporalio/[^/]+)');
    for (const name of [...requests, ...files.map((file) => file.split(path.sep).join('/'))]) {
      const match = scoped.exec(name);
      if (match) temporal.add(match[1]);
    }
    process.stdout.write(JSON.stringify({
      resolved: path.relative(process.cwd(), resolved),
      exports: Object.keys(api).sort(),
      temporalPackages: [...temporal].sort(),
      ioredis: requests.has('ioredis'),
    }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as Loaded;
}

beforeAll(() => {
  if (!existsSync(resolve(ROOT, 'dist/index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
  }
});

test('the cache entry point resolves through "exports" and loads ioredis but nothing of Temporal', () => {
  const cache = load('temporal-cache-warmer/cache');
  expect(cache.resolved).toBe('dist/cache.js');
  expect(cache.exports).toEqual(expect.arrayContaining(['createCacheClient', 'CacheClient', 'RedisUsageTracker']));
  expect(cache.ioredis).toBe(true);
  expect(cache.temporalPackages).toEqual([]);
});

test('the client entry point loads the Temporal client but not the worker', () => {
  const client = load('temporal-cache-warmer/client');
  expect(client.resolved).toBe('dist/client.js');
  expect(client.exports).toEqual(
    expect.arrayContaining(['createWarmingClient', 'notifyUserLoggedIn', 'userPreloadStatus', 'loadConfigFile']),
  );
  // The positive half proves the detector sees packages loaded by dependencies.
  expect(client.temporalPackages).toContain('@temporalio/client');
  expect(client.temporalPackages).not.toContain('@temporalio/worker');
  // Tracing is off unless OTEL_* asks: the SDK's OpenTelemetry interceptors are loaded only then.
  expect(client.temporalPackages).not.toContain('@temporalio/interceptors-opentelemetry');
});

test('the worker entry point is the one that loads @temporalio/worker', () => {
  const worker = load('temporal-cache-warmer/worker');
  expect(worker.resolved).toBe('dist/worker.js');
  expect(worker.exports).toEqual(
    expect.arrayContaining(['createWorker', 'defaultMaxCachedWorkflows', 'PAYLOAD_CONVERTER_PATH']),
  );
  expect(worker.temporalPackages).toContain('@temporalio/worker');
  expect(worker.temporalPackages).not.toContain('@temporalio/interceptors-opentelemetry');
});

test('the root export still has everything, every role entry point included', () => {
  const root = load('temporal-cache-warmer');
  expect(root.resolved).toBe('dist/index.js');
  // What the root exported before the role entry points existed.
  const before = [
    'CacheClient',
    'ConfigError',
    'PAYLOAD_CONVERTER_PATH',
    'RedisUsageTracker',
    'TaskNotFoundError',
    'WarmingClient',
    'accessFrequencyPerMinute',
    'createCacheClient',
    'createWarmingClient',
    'createWorker',
    'intervalForFrequency',
    'loadConfigFile',
    'notifyUserLoggedIn',
    'parseConfigText',
    'parseWarmingConfig',
    'renderHtmlReport',
  ];
  const roles = ['cache', 'client', 'worker'].flatMap((role) => load(`temporal-cache-warmer/${role}`).exports);
  expect(root.exports).toEqual(expect.arrayContaining([...before, ...roles]));
});

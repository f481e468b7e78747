// Starts the local servers the tests, the demo and the benchmarks run against: a Temporal dev
// server (the CLI that bootstrap builds), a redis-server and redis-sentinel, each on a loopback port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { deploymentDynamicConfig } from './deployment-dynamic-config';
import { PROJECT_ROOT } from './project-root';

export interface LocalServer {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

export interface TemporalDevServer extends LocalServer {
  /** host:port of the frontend. */
  readonly address: string;
  readonly uiPort?: number;
}

export interface RedisServer extends LocalServer {
  readonly url: string;
}

/** A free TCP port on the loopback interface. */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Whether a server of ours could listen on the port (loopback) now: nothing answers there and a
 * socket can be bound to it. Both, because a listener on the wildcard address answers a connect
 * but a port held without a listener (or refused to this user) only fails the bind.
 */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (await isPortInUse(port, host)) return false;
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolveFree(true)));
  });
}

/** Whether something already listens on the port (loopback). */
export function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveUse) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolveUse(true);
    });
    socket.once('error', () => resolveUse(false));
  });
}

/** The Temporal CLI: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the one bootstrap built in .tools/bin. */
export function temporalCliPath(): string {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) return explicit;
  const onPath = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  const local = join(PROJECT_ROOT, '.tools', 'bin', 'temporal');
  if (existsSync(local)) return local;
  throw new Error('no Temporal CLI found: run `npm run bootstrap` (it builds one into .tools/bin)');
}

/** redis-server from PATH or Debian's location. */
export function redisServerPath(): string {
  for (const candidate of [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  const onPath = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  throw new Error("no redis-server found: run `npm run bootstrap` (it installs Debian's redis-server)");
}

/** redis-sentinel (Debian's redis-sentinel package) from PATH or Debian's location. */
export function redisSentinelPath(): string {
  for (const candidate of [
    process.env.REDIS_SENTINEL_PATH,
    '/usr/bin/redis-sentinel',
    '/usr/local/bin/redis-sentinel',
  ]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  const onPath = spawnSync('sh', ['-c', 'command -v redis-sentinel'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  throw new Error("no redis-sentinel found: run `npm run bootstrap` (it installs Debian's redis-sentinel)");
}

export interface RedisSentinelOptions {
  port?: number;
  /** The sentinel's config file: written here, and rewritten by the sentinel as it learns. */
  configFile: string;
  /** The master group to monitor. */
  masterName: string;
  masterPort: number;
  /** Sentinels that must agree the master is down before a failover. */
  quorum: number;
  /** How long the master may not answer before it counts as down. Default 2 000 ms. */
  downAfterMs?: number;
}

/** Starts a redis-sentinel on a loopback port watching a master on 127.0.0.1. */
export async function startRedisSentinel(options: RedisSentinelOptions): Promise<LocalServer> {
  const port = options.port ?? (await findFreePort());
  const name = options.masterName;
  writeFileSync(
    options.configFile,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      'loglevel warning',
      `sentinel monitor ${name} 127.0.0.1 ${options.masterPort} ${options.quorum}`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 2_000}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn(redisSentinelPath(), [options.configFile], { stdio: stdio(false), detached: false });
  return awaitListening(child, 'redis-sentinel', port, 15_000);
}

export interface TemporalDevServerOptions {
  port?: number;
  /** UI port; the UI is off (headless) unless given. */
  uiPort?: number;
  /** SQLite file for persistence; in memory when absent (several times faster). */
  dbFile?: string;
  /** Forwarded to stdout/stderr of this process when true. */
  inheritOutput?: boolean;
  /**
   * Own process group, so a terminal's Ctrl-C reaches only the parent, which then stops the
   * server after what depends on it (the demo). The parent must stop it, or kill it on exit.
   */
  detached?: boolean;
  startTimeoutMs?: number;
  /**
   * Dynamic config values (`--dynamic-config-value key=<JSON>`) over those of the project's own
   * deployment (scripts/deployment-dynamic-config.ts), which every dev server started here runs with.
   */
  dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const port = options.port ?? (await findFreePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(await findFreePort()),
    '--metrics-port',
    String(await findFreePort()),
    '--log-level',
    'error',
    ...SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', `${attribute.name}=${attribute.cliType}`]),
    ...Object.entries({ ...deploymentDynamicConfig(), ...options.dynamicConfig }).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
  ];
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(resolve(options.dbFile, '..'), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  const child = spawn(temporalCliPath(), args, {
    stdio: stdio(options.inheritOutput),
    detached: options.detached ?? false,
  });
  const server = await awaitListening(child, 'Temporal dev server', port, options.startTimeoutMs ?? 60_000);
  return {
    ...server,
    address: `127.0.0.1:${port}`,
    ...(options.uiPort !== undefined ? { uiPort: options.uiPort } : {}),
  };
}

export interface RedisServerOptions {
  port?: number;
  /** Working directory for persistence; no persistence when absent. */
  dataDir?: string;
  /** Extra redis-server arguments, e.g. ['--requirepass', 'secret']. */
  extraArgs?: string[];
  inheritOutput?: boolean;
  /** See TemporalDevServerOptions.detached. */
  detached?: boolean;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await findFreePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--loglevel', 'warning'];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('--dir', options.dataDir, '--save', '60 1', '--appendonly', 'no');
  } else {
    args.push('--save', '', '--appendonly', 'no');
  }
  args.push(...(options.extraArgs ?? []));
  const child = spawn(redisServerPath(), args, {
    stdio: stdio(options.inheritOutput),
    detached: options.detached ?? false,
  });
  const server = await awaitListening(child, 'redis-server', port, 15_000);
  return { ...server, url: `redis://127.0.0.1:${port}` };
}

function stdio(inherit = false): ['ignore', 'inherit' | 'pipe', 'inherit' | 'pipe'] {
  return ['ignore', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'];
}

/** Waits until the child listens on `port`; fails with its output if it exits first. */
async function awaitListening(
  child: ChildProcess,
  name: string,
  port: number,
  timeoutMs: number,
): Promise<LocalServer> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  child.once('error', (err) => (exited = `could not start: ${err.message}`));
  const deadline = Date.now() + timeoutMs;
  while (!(await isPortInUse(port))) {
    if (exited)
      throw new Error(`${name} ${exited}${output ? `: ${output.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = () => stopProcess(child);
  return { pid: child.pid as number, port, stop };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

/** Resolves once the dev server answers for the namespace (it listens a little before it serves). */
export async function waitForTemporal(address: string, namespace = 'default', timeoutMs = 60_000): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(
    `Temporal at ${address} did not serve namespace ${namespace} within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

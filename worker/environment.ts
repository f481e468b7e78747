// Reads the process environment once, with documented defaults, and builds connections from it.
// Temporal settings (address, namespace, TLS, API key, profiles) come from @temporalio/envconfig,
// the way Temporal's own CLI reads them.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Cluster, Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { DEFAULT_PREFIX } from '../activities/redis-keys';
import { OPTIMIZER_WORKFLOW_ID } from '../workflows/ids';

export interface Environment {
  /** TEMPORAL_ADDRESS (or the profile's), default `localhost:7233`. */
  temporalAddress: string;
  /** TEMPORAL_NAMESPACE, default `default`. */
  namespace: string;
  /** TEMPORAL_TASK_QUEUE, default `cache-warming`. */
  taskQueue: string;
  /** REDIS_URL, default `redis://127.0.0.1:6379`; `rediss://` means TLS. */
  redisUrl: string;
  /** REDIS_CLUSTER=1 treats REDIS_URL as a seed node of a Redis Cluster. */
  redisCluster: boolean;
  /** REDIS_TLS_CA_FILE: PEM file of the CA that signed a `rediss://` server's certificate; default the system's CAs. */
  redisTlsCaFile?: string;
  /** WARMING_CONFIG, default `warming.config.json`. */
  configPath: string;
  /** WARMING_PREFIX, default `cw:`: everything but cached values lives under it. */
  prefix: string;
  /** WARMING_OPTIMIZER_ID, default `warm-optimizer`: for deployments sharing one namespace. */
  optimizerWorkflowId: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const profile = loadClientConnectConfig({ overrideEnvVars: stringEnv(env) });
  return {
    temporalAddress: profile.connectionOptions.address ?? 'localhost:7233',
    namespace: profile.namespace ?? 'default',
    taskQueue: nonEmpty(env.TEMPORAL_TASK_QUEUE, 'TEMPORAL_TASK_QUEUE') ?? 'cache-warming',
    redisUrl: nonEmpty(env.REDIS_URL, 'REDIS_URL') ?? 'redis://127.0.0.1:6379',
    redisCluster: flag(env.REDIS_CLUSTER, 'REDIS_CLUSTER'),
    ...optional('redisTlsCaFile', nonEmpty(env.REDIS_TLS_CA_FILE, 'REDIS_TLS_CA_FILE')),
    configPath: nonEmpty(env.WARMING_CONFIG, 'WARMING_CONFIG') ?? 'warming.config.json',
    prefix: nonEmpty(env.WARMING_PREFIX, 'WARMING_PREFIX') ?? DEFAULT_PREFIX,
    optimizerWorkflowId: nonEmpty(env.WARMING_OPTIMIZER_ID, 'WARMING_OPTIMIZER_ID') ?? OPTIMIZER_WORKFLOW_ID,
  };
}

/** Temporal connection options (TLS, API key, metadata) for the given environment. */
export function temporalConnectOptions(env: NodeJS.ProcessEnv = process.env) {
  const profile = loadClientConnectConfig({ overrideEnvVars: stringEnv(env) });
  return {
    connectionOptions: { ...profile.connectionOptions, address: profile.connectionOptions.address ?? 'localhost:7233' },
    namespace: profile.namespace ?? 'default',
  };
}

/** A positive integer from the environment, or the default. */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return value;
}

export interface RedisOptions {
  url: string;
  cluster?: boolean;
  /**
   * PEM file of the CA that signed the server's certificate, for `rediss://` URLs. Default
   * REDIS_TLS_CA_FILE, else the system's CAs. Certificates are always verified.
   */
  tlsCaFile?: string;
  /**
   * ioredis auto-pipelining: commands issued in the same tick share one write. Default true (the
   * worker's batched writes); off saves a few microseconds per lone command.
   */
  autoPipelining?: boolean;
}

/**
 * Connects to Redis (or a Redis Cluster through one seed node), by default with auto-pipelining
 * on, so commands issued together share a round trip.
 */
export function createRedis({
  url,
  cluster = false,
  autoPipelining = true,
  tlsCaFile = nonEmpty(process.env.REDIS_TLS_CA_FILE, 'REDIS_TLS_CA_FILE'),
}: RedisOptions): Redis | Cluster {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`REDIS_URL "${redact(url)}" is not a URL (expected redis://host:port or rediss://host:port)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
  const tls = parsed.protocol === 'rediss:' ? tlsOptions(tlsCaFile) : undefined;
  if (!tls && tlsCaFile !== undefined) {
    throw new Error('REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:// (TLS) URL');
  }
  if (!cluster) {
    return reportErrors(
      new Redis(url, { enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 3, ...(tls ? { tls } : {}) }),
      url,
    );
  }
  const clusterClient = new Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
    enableAutoPipelining: autoPipelining,
    redisOptions: {
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(tls ? { tls } : {}),
      maxRetriesPerRequest: 3,
    },
  });
  return reportErrors(clusterClient, url);
}

/**
 * ioredis reconnects by itself; without a listener every failed attempt is an "Unhandled error
 * event". Say it once per distinct problem per minute instead, with the password redacted.
 */
export function reportErrors<T extends Redis | Cluster>(client: T, url: string): T {
  const lastSaid = new Map<string, number>();
  const where = redact(url);
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - (lastSaid.get(err.message) ?? 0) < 60_000) return;
    lastSaid.set(err.message, now);
    console.warn(`redis ${where}: ${err.message} (retrying)`);
  });
  return client;
}

/** TLS options for ioredis: the private CA when one is given; verification stays on. */
function tlsOptions(caFile: string | undefined): { ca?: Buffer } {
  if (caFile === undefined) return {};
  try {
    return { ca: readFileSync(caFile) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`REDIS_TLS_CA_FILE ${caFile} cannot be read (${code})`);
  }
}

/** The URL with any user and password replaced by `***`. */
function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function nonEmpty(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new Error(`${name} is set but empty`);
  return value.trim();
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '') return false;
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw new Error(`${name} must be 1/true/yes or 0/false/no (got "${value}")`);
}

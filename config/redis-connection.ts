// Redis connection settings: read from the environment (REDIS_*) and turned into an ioredis client,
// for one server, a Redis Cluster or a Sentinel group. Loads nothing of Temporal, so the cache
// client can use it alone.
import { Cluster, Redis, type ClusterOptions, type NatMap, type RedisOptions as IoRedisOptions } from 'ioredis';
import { readFileSync } from 'node:fs';
import { redact } from '../core/redact';
import { flag, nonEmpty, optional } from './env-values';

/** A Redis Sentinel group: where the sentinels are and which master they watch. */
export interface RedisSentinelOptions {
  /** The sentinels (REDIS_SENTINELS `host:port,...`; port default 26379). */
  sentinels: { host: string; port: number }[];
  /** The master group name the sentinels monitor (REDIS_SENTINEL_NAME), e.g. `mymaster`. */
  name: string;
  /**
   * REDIS_SENTINEL_USERNAME, for sentinels with ACL users.
   * @default none
   */
  username?: string;
  /**
   * REDIS_SENTINEL_PASSWORD, for sentinels with `requirepass`; the master's comes from the URL.
   * @default none
   */
  password?: string;
}

/** Where Redis is and how to connect to it: what `readRedisEnvironment` reads and `createRedis` takes. */
export interface RedisOptions {
  /**
   * `redis://` or `rediss://` (TLS), with user, password and database. With `cluster`, a comma
   * list of seed nodes (`redis://:pw@h1:6379,h2:6379`); with `sentinel`, its host and port are not
   * used (the sentinels name the master), its credentials and TLS are.
   */
  url: string;
  /**
   * Treat the URL's nodes as seeds of a Redis Cluster (REDIS_CLUSTER=1).
   * @default false
   */
  cluster?: boolean;
  /**
   * Find the master through Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME).
   * @default none: the URL names the server
   */
  sentinel?: RedisSentinelOptions;
  /**
   * Addresses the servers announce mapped to ones this process can reach (REDIS_NAT_MAP
   * `10.0.0.5:6379=redis-0.example.com:30001,...`), for Cluster and Sentinel behind NAT.
   * @default none
   */
  natMap?: Record<string, { host: string; port: number }>;
  /**
   * `system` resolves Cluster node names with the system resolver; `none` hands host names to
   * the connection unresolved, as managed TLS clusters (ElastiCache, Memorystore) need for
   * certificate checks (REDIS_CLUSTER_DNS_LOOKUP).
   * @default 'system'
   */
  dnsLookup?: 'system' | 'none';
  /**
   * PEM file of the CA that signed the server's certificate, for `rediss://` URLs. Certificates
   * are always verified.
   * @default REDIS_TLS_CA_FILE, else the system's CAs
   */
  tlsCaFile?: string;
  /**
   * ioredis auto-pipelining: commands issued in the same tick share one write. On suits the
   * worker's batched writes; off saves a few microseconds per lone command.
   * @default true
   */
  autoPipelining?: boolean;
}

/**
 * The Redis settings of the environment (REDIS_URL, REDIS_CLUSTER, REDIS_TLS_CA_FILE,
 * REDIS_SENTINELS, REDIS_SENTINEL_NAME, REDIS_SENTINEL_USERNAME, REDIS_SENTINEL_PASSWORD,
 * REDIS_NAT_MAP, REDIS_CLUSTER_DNS_LOOKUP), checked together: a setting that cannot apply is an
 * error naming it.
 */
export function readRedisEnvironment(env: NodeJS.ProcessEnv = process.env): RedisOptions {
  const url = nonEmpty(env.REDIS_URL, 'REDIS_URL') ?? 'redis://127.0.0.1:6379';
  const cluster = flag(env.REDIS_CLUSTER, 'REDIS_CLUSTER');
  const sentinels = nonEmpty(env.REDIS_SENTINELS, 'REDIS_SENTINELS');
  const name = nonEmpty(env.REDIS_SENTINEL_NAME, 'REDIS_SENTINEL_NAME');
  const sentinelUser = nonEmpty(env.REDIS_SENTINEL_USERNAME, 'REDIS_SENTINEL_USERNAME');
  const sentinelPassword = env.REDIS_SENTINEL_PASSWORD || undefined;
  const natMap = nonEmpty(env.REDIS_NAT_MAP, 'REDIS_NAT_MAP');
  const dnsLookup = nonEmpty(env.REDIS_CLUSTER_DNS_LOOKUP, 'REDIS_CLUSTER_DNS_LOOKUP');
  if (sentinels === undefined) {
    for (const [value, variable] of [
      [name, 'REDIS_SENTINEL_NAME'],
      [sentinelUser, 'REDIS_SENTINEL_USERNAME'],
      [sentinelPassword, 'REDIS_SENTINEL_PASSWORD'],
    ] as const) {
      if (value !== undefined) throw new Error(`${variable} is set but REDIS_SENTINELS is not`);
    }
  } else if (name === undefined) {
    throw new Error('REDIS_SENTINELS is set but REDIS_SENTINEL_NAME (the master group name) is not');
  }
  if (sentinels !== undefined && cluster) throw new Error('REDIS_SENTINELS and REDIS_CLUSTER=1 exclude each other');
  if (natMap !== undefined && !cluster && sentinels === undefined) {
    throw new Error('REDIS_NAT_MAP applies to a Cluster (REDIS_CLUSTER=1) or Sentinel (REDIS_SENTINELS) only');
  }
  if (dnsLookup !== undefined && dnsLookup !== 'system' && dnsLookup !== 'none') {
    throw new Error(`REDIS_CLUSTER_DNS_LOOKUP must be system or none (got "${dnsLookup}")`);
  }
  if (dnsLookup !== undefined && !cluster) throw new Error('REDIS_CLUSTER_DNS_LOOKUP is set but REDIS_CLUSTER is not');
  return {
    url,
    cluster,
    ...optional('tlsCaFile', nonEmpty(env.REDIS_TLS_CA_FILE, 'REDIS_TLS_CA_FILE')),
    ...(sentinels !== undefined && name !== undefined
      ? {
          sentinel: {
            sentinels: parseNodeList(sentinels, 'REDIS_SENTINELS', 26379),
            name,
            ...optional('username', sentinelUser),
            ...optional('password', sentinelPassword),
          },
        }
      : {}),
    ...optional('natMap', natMap === undefined ? undefined : parseNatMap(natMap)),
    ...optional('dnsLookup', dnsLookup as 'system' | 'none' | undefined),
  };
}

/**
 * Connects to Redis: one server, a Redis Cluster through its seed nodes, or the master of a
 * Sentinel group (following failovers). By default with auto-pipelining on, so commands issued
 * together share a round trip.
 */
export function createRedis({
  url,
  cluster = false,
  sentinel,
  natMap,
  dnsLookup = 'system',
  autoPipelining = true,
  tlsCaFile = nonEmpty(process.env.REDIS_TLS_CA_FILE, 'REDIS_TLS_CA_FILE'),
}: RedisOptions): Redis | Cluster {
  const nodes = parseRedisUrl(url);
  const first = nodes.url;
  if (nodes.seeds.length > 1 && !cluster) {
    throw new Error(
      'REDIS_URL lists several nodes: set REDIS_CLUSTER=1 for a Cluster (or REDIS_SENTINELS for Sentinel, with one URL)',
    );
  }
  if (sentinel && cluster) throw new Error('Redis Sentinel and Cluster exclude each other');
  if (natMap && !cluster && !sentinel) throw new Error('a NAT map applies to a Cluster or Sentinel only');
  const tls = first.protocol === 'rediss:' ? tlsOptions(tlsCaFile) : undefined;
  if (!tls && tlsCaFile !== undefined) {
    throw new Error('REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:// (TLS) URL');
  }
  const credentials = {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
  };
  const where = redact(url);
  if (sentinel) {
    const db = databaseOf(first);
    return reportErrors(
      new Redis({
        sentinels: sentinel.sentinels,
        name: sentinel.name,
        ...credentials,
        ...(db ? { db } : {}),
        ...(sentinel.username ? { sentinelUsername: sentinel.username } : {}),
        ...(sentinel.password ? { sentinelPassword: sentinel.password } : {}),
        ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
        ...(natMap ? { natMap: natMap as NatMap } : {}),
        // Sentinel publishes +switch-master: reconnect to the new master at once instead of
        // waiting for the old one's connection to fail.
        failoverDetector: true,
        reconnectOnError: readonlyAfterFailover,
        enableAutoPipelining: autoPipelining,
        maxRetriesPerRequest: 3,
      } satisfies IoRedisOptions),
      `sentinel ${sentinel.name}`,
    );
  }
  if (!cluster) {
    return reportErrors(
      new Redis(url, { enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 3, ...(tls ? { tls } : {}) }),
      where,
    );
  }
  const clusterOptions: ClusterOptions = {
    enableAutoPipelining: autoPipelining,
    ...(natMap ? { natMap: natMap as NatMap } : {}),
    // Managed TLS clusters announce host names their certificates carry: resolving them to IPs
    // first would make every certificate check fail.
    ...(dnsLookup === 'none'
      ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) }
      : {}),
    redisOptions: { ...credentials, ...(tls ? { tls } : {}), maxRetriesPerRequest: 3 },
  };
  return reportErrors(new Cluster(nodes.seeds, clusterOptions), where);
}

/**
 * After a failover the old master is a replica and refuses writes with READONLY until ioredis
 * follows the switch: reconnect (to the master Sentinel names) and resend the command.
 */
function readonlyAfterFailover(err: Error): 2 | false {
  return err.message.startsWith('READONLY') ? 2 : false;
}

/** REDIS_URL parsed: the first node as a URL (scheme, credentials, database) and every node's address. */
function parseRedisUrl(url: string): { url: URL; seeds: { host: string; port: number }[] } {
  const entries = url.split(',').map((entry) => entry.trim());
  const [head = '', ...rest] = entries;
  let first: URL;
  try {
    first = new URL(head);
  } catch {
    throw new Error(`REDIS_URL "${redact(head)}" is not a URL (expected redis://host:port or rediss://host:port)`);
  }
  if (first.protocol !== 'redis:' && first.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (got ${first.protocol}//)`);
  }
  const seeds = [{ host: hostOf(first), port: Number(first.port || 6379) }];
  rest.forEach((entry, i) => {
    const full = entry.includes('://') ? entry : `${first.protocol}//${entry}`;
    // As written, credentials redacted (redact finds them after a scheme, so on the full form).
    const shown = entry.includes('://') ? redact(entry) : redact(full).slice(first.protocol.length + 2);
    let node: URL;
    try {
      node = new URL(full);
    } catch {
      throw new Error(`REDIS_URL node ${i + 2} "${shown}" is not host:port or a redis:// URL`);
    }
    if (
      node.protocol !== first.protocol ||
      (entry.includes('@') && (node.username !== first.username || node.password !== first.password))
    ) {
      throw new Error(`REDIS_URL node ${i + 2} must use the first node's scheme and credentials`);
    }
    if (!node.hostname) throw new Error(`REDIS_URL node ${i + 2} "${shown}" has no host`);
    seeds.push({ host: hostOf(node), port: Number(node.port || 6379) });
  });
  return { url: first, seeds };
}

/** The URL's host without IPv6 brackets, as ioredis wants it. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function databaseOf(url: URL): number | undefined {
  const path = url.pathname.replace(/^\//, '');
  if (path === '') return undefined;
  const db = Number(path);
  if (!Number.isInteger(db) || db < 0) throw new Error(`REDIS_URL database "${path}" is not a number`);
  return db;
}

/** `host:port,host:port` (IPv6 in brackets; port default `defaultPort`). */
function parseNodeList(value: string, name: string, defaultPort: number): { host: string; port: number }[] {
  return value.split(',').map((entry, i) => parseHostPort(entry.trim(), `${name} entry ${i + 1}`, defaultPort));
}

function parseHostPort(value: string, what: string, defaultPort?: number): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(value);
  const port = match?.[2] !== undefined ? Number(match[2]) : defaultPort;
  if (!match || port === undefined || port < 1 || port > 65535) {
    throw new Error(`${what} "${value}" is not host:port`);
  }
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

/** `from=to,...`, each side `host:port`: the addresses servers announce and where to reach them. */
function parseNatMap(value: string): Record<string, { host: string; port: number }> {
  const map: Record<string, { host: string; port: number }> = {};
  value.split(',').forEach((pair, i) => {
    const [from, to, extra] = pair.trim().split('=');
    if (from === undefined || to === undefined || extra !== undefined) {
      throw new Error(`REDIS_NAT_MAP entry ${i + 1} "${pair.trim()}" is not announced-host:port=reachable-host:port`);
    }
    const announced = parseHostPort(from.trim(), `REDIS_NAT_MAP entry ${i + 1}`);
    map[`${announced.host}:${announced.port}`] = parseHostPort(to.trim(), `REDIS_NAT_MAP entry ${i + 1}`);
  });
  return map;
}

/**
 * ioredis reconnects by itself; without a listener every failed attempt is an "Unhandled error
 * event". Say it once per distinct problem per minute instead. `where` names the connection in
 * messages and must hold no password (createRedis passes the redacted URL).
 */
export function reportErrors<T extends Redis | Cluster>(client: T, where: string): T {
  const lastSaid = new Map<string, number>();
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - (lastSaid.get(err.message) ?? 0) < 60_000) return;
    lastSaid.set(err.message, now);
    console.warn(`redis ${where}: ${redact(err.message)} (retrying)`);
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

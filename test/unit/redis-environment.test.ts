// The Redis settings the worker, warmctl and the cache client read from the environment: one
// server, Cluster seed lists, Sentinel, NAT maps and DNS lookup, each refused in one line naming
// the variable when it cannot apply. No server is needed: nothing here connects.
import type { Cluster } from 'ioredis';
import { createRedis, readRedisEnvironment } from '../../config/redis-connection';

test('defaults to one local server', () => {
  expect(readRedisEnvironment({})).toEqual({ url: 'redis://127.0.0.1:6379', cluster: false });
});

test('reads a Sentinel group with its own credentials, and a NAT map', () => {
  expect(
    readRedisEnvironment({
      REDIS_URL: 'redis://:master-pw@ignored:6379/2',
      REDIS_SENTINELS: 's1.example:26380, 10.0.0.7,[::1]:26381',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_USERNAME: 'watcher',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_NAT_MAP: '10.0.0.5:6379=redis-0.example.com:30001',
    }),
  ).toEqual({
    url: 'redis://:master-pw@ignored:6379/2',
    cluster: false,
    sentinel: {
      sentinels: [
        { host: 's1.example', port: 26380 },
        { host: '10.0.0.7', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      username: 'watcher',
      password: 'sentinel-pw',
    },
    natMap: { '10.0.0.5:6379': { host: 'redis-0.example.com', port: 30001 } },
  });
});

test('reads a Cluster with several seeds and host names handed over unresolved', () => {
  expect(
    readRedisEnvironment({
      REDIS_URL: 'rediss://:pw@node-1.example:6379,node-2.example:6379',
      REDIS_CLUSTER: '1',
      REDIS_CLUSTER_DNS_LOOKUP: 'none',
    }),
  ).toMatchObject({ cluster: true, dnsLookup: 'none' });
});

test.each<[Record<string, string>, RegExp]>([
  [{ REDIS_SENTINELS: 'a:26379' }, /^REDIS_SENTINELS is set but REDIS_SENTINEL_NAME .* is not$/],
  [{ REDIS_SENTINEL_NAME: 'mymaster' }, /^REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not$/],
  [{ REDIS_SENTINEL_PASSWORD: 'x' }, /^REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not$/],
  [
    { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER: '1' },
    /^REDIS_SENTINELS and REDIS_CLUSTER=1 exclude each other$/,
  ],
  [{ REDIS_SENTINELS: 'a:99999', REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINELS entry 1 "a:99999" is not host:port$/],
  [{ REDIS_SENTINELS: 'a:1,b c', REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINELS entry 2 "b c" is not host:port$/],
  [{ REDIS_NAT_MAP: 'a:1=b:2' }, /^REDIS_NAT_MAP applies to a Cluster .* or Sentinel .* only$/],
  [{ REDIS_CLUSTER: '1', REDIS_NAT_MAP: 'a:1' }, /^REDIS_NAT_MAP entry 1 "a:1" is not announced-host:port=reachable/],
  [{ REDIS_CLUSTER: '1', REDIS_NAT_MAP: 'a:1=b' }, /^REDIS_NAT_MAP entry 1 "b" is not host:port$/],
  [{ REDIS_CLUSTER_DNS_LOOKUP: 'none' }, /^REDIS_CLUSTER_DNS_LOOKUP is set but REDIS_CLUSTER is not$/],
  [{ REDIS_CLUSTER: '1', REDIS_CLUSTER_DNS_LOOKUP: 'maybe' }, /^REDIS_CLUSTER_DNS_LOOKUP must be system or none/],
  [{ REDIS_SENTINELS: ' ' }, /^REDIS_SENTINELS is set but empty$/],
])('refuses %j in one line naming the variable', (env, message) => {
  expect(() => readRedisEnvironment(env)).toThrow(message);
});

test.each<[Parameters<typeof createRedis>[0], RegExp]>([
  [{ url: 'redis://a:1,b:2' }, /^REDIS_URL lists several nodes: set REDIS_CLUSTER=1/],
  [{ url: 'redis://a:1,rediss://b:2', cluster: true }, /^REDIS_URL node 2 must use the first node's scheme/],
  [{ url: 'redis://:one@a:1,redis://:two@b:2', cluster: true }, /^REDIS_URL node 2 must use the first node's/],
  [{ url: 'redis://a:1,b:x', cluster: true }, /^REDIS_URL node 2 "b:x" is not host:port or a redis:\/\/ URL$/],
  [{ url: 'http://a:1' }, /^REDIS_URL must start with redis:\/\/ or rediss:\/\//],
  [{ url: 'redis://:secret@a:1/x', sentinel: { sentinels: [{ host: 'a', port: 1 }], name: 'm' } }, /database "x"/],
])('createRedis refuses %j before connecting', (options, message) => {
  expect(() => createRedis(options)).toThrow(message);
});

test('never shows a password in a refusal', () => {
  expect(() => createRedis({ url: 'redis://:secret@a:1,redis://:other@b:2', cluster: true })).toThrow(
    /^(?!.*(secret|other)).*$/,
  );
});

test('REDIS_CLUSTER_DNS_LOOKUP=none hands node names to the connection unresolved', async () => {
  const cluster = createRedis({
    ...readRedisEnvironment({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER: '1', REDIS_CLUSTER_DNS_LOOKUP: 'none' }),
    tlsCaFile: undefined,
  });
  cluster.disconnect();
  const lookup = (cluster as Cluster).options.dnsLookup;
  const resolved = await new Promise((resolve) =>
    lookup?.('node-1.cache.example.com', (_err, address) => resolve(address)),
  );
  expect(resolved).toBe('node-1.cache.example.com');
});

// Redis with AUTH (password and ACL user), TLS (`rediss://` with a CA generated here by openssl)
// and Redis Cluster (three local masters): a real worker process warms through each, the cache
// client reads through each, and a password never appears in what the worker prints. The minimal
// ACL users of docs/security.md, created from that file, run a worker, warmctl and an application.
import { Client, Connection } from '@temporalio/client';
import type { Cluster, Redis } from 'ioredis';
import { createCacheClient } from '../../cache/cache-client';
import { createWarmingClient, type WarmingClient } from '../../client/warming-client';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkEvictionPolicy } from '../../store/eviction-policy';
import { redisKeys } from '../../store/redis-keys';
import { findFreePort, startRedisServer, type RedisServer } from '../../scripts/local-stack';
import { createRedis, readRedisEnvironment } from '../../config/redis-connection';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster';
import { expectUnchangedFor, quietTemporalRuntime, testServers, uniqueName, waitFor } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';
import { generateTestCertificates, type TestCertificates } from '../helpers/tls-certs';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(90_000);

const PASSWORD = 'pw-Zq8!secret';
let connection: Connection;
let temporal: Client;
let origin: TestOrigin;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  quietTemporalRuntime();
  connection = await Connection.connect({ address: testServers().temporalAddress });
  temporal = new Client({ connection });
  origin = await startTestOrigin();
});

afterAll(async () => {
  await killWorkerProcesses();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await connection?.close();
  await origin?.close();
});

interface Deployment {
  warming: WarmingClient;
  worker: WorkerProcess;
  prefix: string;
}

/** A warming client on `redis` and a worker process with `redisEnv`, on their own queue and prefix. */
async function deploy(
  redis: Redis | Cluster,
  redisEnv: Record<string, string>,
  prefix = `${uniqueName('sec')}:`,
): Promise<Deployment> {
  const taskQueue = uniqueName('tq-sec');
  const warming = await createWarmingClient({
    client: temporal,
    redis,
    taskQueue,
    prefix,
    workerTimeoutMs: 20_000,
    optimizerWorkflowId: uniqueName('optimizer'),
  });
  cleanups.push(() => warming.close());
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WARMING_PREFIX: prefix,
    ...redisEnv,
  });
  await worker.polling();
  return { warming, worker, prefix };
}

function originTask(name: string, extra: { tags?: string[]; intervalMinutes?: number } = {}) {
  const taskId = uniqueName(name);
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `${taskId}-v${hit}` }));
  return {
    taskId,
    cacheKey: `${taskId}:v`,
    loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
    ttlSeconds: 600,
    intervalMinutes: extra.intervalMinutes ?? 600,
    tags: extra.tags ?? [],
  };
}

describe('AUTH', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({
      extraArgs: ['--requirepass', PASSWORD, '--user', 'warmer', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
    });
    cleanups.push(() => server.stop());
  });

  test.each([
    ['the default user with a password', () => `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}`],
    ['an ACL user', () => `redis://warmer:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}`],
  ])('a worker authenticates as %s, warms, and never prints the password', async (_who, url) => {
    const redis = createRedis({ url: url() });
    cleanups.push(() => redis.disconnect());
    const { warming, worker, prefix } = await deploy(redis, { REDIS_URL: url() });
    const task = originTask('auth');
    await warming.apply({ tasks: [task] });
    await waitFor('the warmed value', async () => (await redis.get(task.cacheKey)) === `${task.taskId}-v1`);
    const cache = createCacheClient({ redisUrl: url(), prefix });
    try {
      expect(await cache.get(task.cacheKey)).toBe(`${task.taskId}-v1`);
    } finally {
      await cache.close();
    }
    expect(worker.output()).toContain('Redis redis://***@127.0.0.1');
    expect(worker.output()).not.toContain(PASSWORD);
  });

  test('a wrong password is reported without the password, and nothing is written', async () => {
    const good = createRedis({ url: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}` });
    cleanups.push(() => good.disconnect());
    const wrong = 'not-the-Pw-77';
    const { warming, worker } = await deploy(good, {
      REDIS_URL: `redis://:${wrong}@127.0.0.1:${server.port}`,
    });
    const task = originTask('noauth');
    await warming.apply({ tasks: [task] });
    await waitFor('the refusal in the worker output', () => /WRONGPASS|NOAUTH/.test(worker.output()), {
      timeoutMs: 30_000,
    });
    expect(worker.output()).not.toContain(wrong);
    expect(await good.get(task.cacheKey)).toBeNull();
    expect(worker.alive()).toBe(true);
  });
});

/**
 * The ACL users docs/security.md documents (its `ACL SETUSER cw-...` lines), for `prefix` and with
 * `valuePattern` for the value keys: user name -> rules.
 */
function documentedAclUsers(prefix: string, valuePattern: string): Map<string, string[]> {
  const doc = readFileSync(resolve(__dirname, '../../docs/security.md'), 'utf8');
  const users = new Map<string, string[]>();
  for (const line of doc.split('\n').filter((l) => l.startsWith('ACL SETUSER cw-'))) {
    const [, , user, ...rules] = line.trim().split(/\s+/);
    users.set(
      user as string,
      rules.map((rule) => {
        if (rule === '><password>') return `>${PASSWORD}`;
        if (rule === '~app:*') return `~${valuePattern}`;
        return rule.includes('~') ? rule.replaceAll('cw:', prefix) : rule;
      }),
    );
  }
  return users;
}

describe('minimal ACL users (docs/security.md)', () => {
  let server: RedisServer;
  let admin: Redis;
  const url = (user: string) => `redis://${user}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}`;
  beforeAll(async () => {
    server = await startRedisServer({ extraArgs: ['--requirepass', PASSWORD, '--maxmemory-policy', 'volatile-lru'] });
    cleanups.push(() => server.stop());
    admin = createRedis({ url: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}` }) as Redis;
    cleanups.push(() => admin.disconnect());
  });

  test('the worker, warmctl and an application each work with only their documented ACL', async () => {
    const prefix = `${uniqueName('acl')}:`;
    const keys = redisKeys(prefix);
    const values = uniqueName('aclv');
    const users = documentedAclUsers(prefix, `${values}:*`);
    expect([...users.keys()]).toEqual(['cw-worker', 'cw-warmctl', 'cw-app']);
    for (const [user, rules] of users) await admin.call('ACL', 'SETUSER', user, ...rules);

    // warmctl's connection, and a worker process as cw-worker.
    const warmctlRedis = createRedis({ url: url('cw-warmctl') });
    cleanups.push(() => warmctlRedis.disconnect());
    const { warming, worker } = await deploy(warmctlRedis, { REDIS_URL: url('cw-worker') }, prefix);
    const tag = uniqueName('acltag');
    const task = { ...originTask('acl', { tags: [tag] }), cacheKey: `${values}:task` };
    const quiet = { everyMinutes: 1440 };
    expect(await warming.apply({ tasks: [task], optimizer: quiet })).toMatchObject({ created: 1 });
    await waitFor(
      'the warm written as cw-worker',
      async () => (await admin.get(task.cacheKey)) === `${task.taskId}-v1`,
    );

    // An application as cw-app: reads counted, a compute written with its tag.
    const warnings: string[] = [];
    const cache = createCacheClient({ redisUrl: url('cw-app'), prefix, logger: { warn: (m) => warnings.push(m) } });
    try {
      expect(await cache.get(task.cacheKey)).toBe(`${task.taskId}-v1`);
      const computed = `${values}:computed`;
      expect(await cache.getOrCompute(computed, () => 'computed', { ttlSeconds: 60, tags: [tag] })).toBe('computed');
      expect(await cache.getOrCompute(computed, () => 'again', { ttlSeconds: 60 })).toBe('computed');
      await cache.flush();
      expect(warnings).toEqual([]);
      expect(Number(await admin.hget(keys.meta(task.cacheKey), 'reads'))).toBe(1);
      expect((await cache.usage.topKeys(60, 10)).map((u) => u.key).sort()).toEqual([computed, task.cacheKey].sort());
    } finally {
      await cache.close();
    }

    // The optimiser (in the worker) reads the counts; warmctl keeps digests, invalidates, applies again.
    expect(await warming.optimize()).toBeDefined();
    expect(await warming.stats({ taskId: task.taskId })).toMatchObject({ totalWarmings: 1, succeeded: 1 });
    expect(await admin.keys(`${prefix}run:*`)).toHaveLength(1);
    // The worker set the run's warm mark; warmctl reads it (MGET) and needs no describe the second time.
    expect(await admin.keys(`${prefix}warmed:*`)).toHaveLength(1);
    expect((await warming.stats({ taskId: task.taskId })).read).toMatchObject({ fromWarmMark: 1, described: 0 });
    await expect(warmctlRedis.set(keys.runWarmMark('x'), '1')).rejects.toThrow(/NOPERM/);
    expect((await warming.invalidateTag(tag)).keys.sort()).toEqual([`${values}:computed`, task.cacheKey].sort());
    expect(await admin.exists(task.cacheKey, `${values}:computed`)).toBe(0);
    const again = await warming.apply({ tasks: [{ ...task, intervalMinutes: 500 }], optimizer: quiet });
    expect(again).toMatchObject({ updated: 1 });
    expect(await admin.hget(keys.appliedSpecs(), task.taskId)).not.toBeNull();
    expect(worker.output()).not.toMatch(/NOPERM|NOAUTH|WRONGPASS/);

    // Each role is held to its own keys.
    const app = createRedis({ url: url('cw-app') });
    const workerUser = createRedis({ url: url('cw-worker') });
    cleanups.push(
      () => app.disconnect(),
      () => workerUser.disconnect(),
    );
    await expect(app.set(keys.config(), '{}')).rejects.toThrow(/NOPERM/);
    await expect(app.hset(keys.appliedSpecs(), 'x', 'y')).rejects.toThrow(/NOPERM/);
    await expect(workerUser.set(keys.config(), '{}')).rejects.toThrow(/NOPERM/);
    await expect(workerUser.hset(keys.appliedSpecs(), 'x', 'y')).rejects.toThrow(/NOPERM/);
    await expect(warmctlRedis.zincrby(keys.usageBucket(1), 1, 'x')).rejects.toThrow(/NOPERM/);

    // The worker's eviction-policy check, as cw-worker: quiet under volatile-lru, one line under allkeys-lru.
    expect(await checkEvictionPolicy(workerUser, prefix)).toBeUndefined();
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const warning = await checkEvictionPolicy(workerUser, prefix);
      expect(warning).toMatch(new RegExp(`^Redis maxmemory-policy is allkeys-lru: .*can evict ${prefix}config`));
      expect(warning?.split('\n')).toHaveLength(1);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    }
  });
});

describe('TLS', () => {
  let certs: TestCertificates;
  let server: RedisServer;
  let url: string;
  beforeAll(async () => {
    certs = generateTestCertificates();
    cleanups.push(() => certs.remove());
    const port = await findFreePort();
    // TLS only: the plain port is off.
    server = await startRedisServer({
      port,
      extraArgs: [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        certs.certFile,
        '--tls-key-file',
        certs.keyFile,
        '--tls-ca-cert-file',
        certs.caFile,
        '--tls-auth-clients',
        'no',
        '--requirepass',
        PASSWORD,
      ],
    });
    cleanups.push(() => server.stop());
    url = `rediss://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
  });

  test('a worker connects with rediss:// and REDIS_TLS_CA_FILE, warms, and the cache client reads over TLS', async () => {
    const redis = createRedis({ url, tlsCaFile: certs.caFile });
    cleanups.push(() => redis.disconnect());
    const { warming, worker, prefix } = await deploy(redis, { REDIS_URL: url, REDIS_TLS_CA_FILE: certs.caFile });
    const task = originTask('tls');
    await warming.apply({ tasks: [task] });
    await waitFor('the warmed value', async () => (await redis.get(task.cacheKey)) === `${task.taskId}-v1`);
    const cache = createCacheClient({ redisUrl: url, tlsCaFile: certs.caFile, prefix });
    try {
      expect(await cache.get(task.cacheKey)).toBe(`${task.taskId}-v1`);
    } finally {
      await cache.close();
    }
    expect(worker.output()).not.toContain(PASSWORD);
  });

  test('a server certificate from an unknown CA is refused: the worker says so and writes nothing', async () => {
    const redis = createRedis({ url, tlsCaFile: certs.caFile });
    cleanups.push(() => redis.disconnect());
    const { warming, worker } = await deploy(redis, { REDIS_URL: url }); // no CA: the system's CAs only
    const task = originTask('untrusted');
    await warming.apply({ tasks: [task] });
    await waitFor('the certificate refusal', () => /certificate/i.test(worker.output()), { timeoutMs: 30_000 });
    expect(await redis.get(task.cacheKey)).toBeNull();
    expect(worker.alive()).toBe(true);
  });

  test.each([
    [
      { REDIS_URL: 'redis://127.0.0.1:1', REDIS_TLS_CA_FILE: '/etc/hostname' },
      /REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:\/\//,
    ],
    [
      { REDIS_URL: 'rediss://127.0.0.1:1', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' },
      /REDIS_TLS_CA_FILE \/nonexistent\/ca\.pem cannot be read \(ENOENT\)/,
    ],
  ])('a TLS setting that cannot work, %j, stops the worker with one line', async (env, message) => {
    const worker = startWorkerProcess({ TEMPORAL_ADDRESS: testServers().temporalAddress, ...env });
    expect(await worker.exited).toBe(1);
    expect(worker.output().trim().split('\n')).toHaveLength(1);
    expect(worker.output()).toMatch(message);
  });
});

describe('Cluster', () => {
  let cluster: LocalRedisCluster;
  let redis: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ password: PASSWORD });
    cleanups.push(() => cluster.stop());
    redis = createRedis({ url: cluster.url, cluster: true }) as Cluster;
    cleanups.push(() => redis.disconnect());
  });

  test('warms keys on every master, counts reads, re-plans, invalidates by tag and computes across slots', async () => {
    const { warming, worker, prefix } = await deploy(redis, { REDIS_URL: cluster.url, REDIS_CLUSTER: '1' });
    const tag = uniqueName('ctag');
    const tasks = Array.from({ length: 8 }, (_, i) => originTask(`cl${i}`, { tags: [tag] }));
    await warming.apply({ tasks });
    for (const task of tasks) {
      await waitFor(`${task.cacheKey} warmed`, async () => (await redis.get(task.cacheKey)) === `${task.taskId}-v1`);
    }
    // The keys really are spread over the masters (else this proves nothing about the cluster).
    const slots = new Set(await Promise.all(tasks.map((task) => redis.cluster('KEYSLOT', task.cacheKey))));
    const owners = new Set(
      [...slots].map((slot) => {
        const nodes = redis.slots[slot as number] ?? [];
        return nodes[0];
      }),
    );
    expect(owners.size).toBeGreaterThanOrEqual(2);

    // Reads through the cache client are counted, and the optimiser re-plans from them.
    const hot = tasks[0] as (typeof tasks)[number];
    const cache = createCacheClient({ redisUrl: cluster.url, cluster: true, prefix });
    try {
      for (let i = 0; i < 90; i++) expect(await cache.get(hot.cacheKey)).toBe(`${hot.taskId}-v1`);
      await cache.flush();
      const report = await warming.optimize();
      // 90 reads over a 60-minute window: 1.5 per minute, so the hot task goes to 15 minutes.
      expect(report.changes).toContainEqual(expect.objectContaining({ taskId: hot.taskId, toMinutes: 15 }));
      expect(Number(await redis.hget(redisKeys(prefix).meta(hot.cacheKey), 'reads'))).toBe(90);

      // Invalidation by tag reaches every master.
      const { keys } = await warming.invalidateTag(tag);
      expect(keys.sort()).toEqual(tasks.map((task) => task.cacheKey).sort());
      for (const task of tasks) expect(await redis.exists(task.cacheKey)).toBe(0);

      // getOrCompute's lock and version-checked write work in any slot.
      const computed = await Promise.all(
        tasks.map((task) => cache.getOrCompute(`${task.taskId}:computed`, () => 'fresh', { ttlSeconds: 60 })),
      );
      expect(computed).toEqual(tasks.map(() => 'fresh'));
    } finally {
      await cache.close();
    }
    expect(worker.output()).not.toContain(PASSWORD);
  });

  test('keys with } and no valid hash tag are computed, counted, warmed and invalidated on the cluster', async () => {
    const { warming, worker, prefix } = await deploy(redis, { REDIS_URL: cluster.url, REDIS_CLUSTER: '1' });
    const keys = redisKeys(prefix);
    const tag = uniqueName('btag');
    const base = uniqueName('brace');
    const odd = [`${base}:a}b`, `${base}:x:}{`, `{}${base}}`, `}${base}{`];
    // Each helper key really is in its value's slot on this cluster, whatever the key.
    for (const key of odd) {
      const slot = await redis.cluster('KEYSLOT', key);
      expect([await redis.cluster('KEYSLOT', keys.meta(key)), await redis.cluster('KEYSLOT', keys.lock(key))]).toEqual([
        slot,
        slot,
      ]);
    }
    const cache = createCacheClient({ redisUrl: cluster.url, cluster: true, prefix });
    try {
      // getOrCompute and warm: the lock, then the version-checked write of value and metadata in one script.
      expect(
        await Promise.all(odd.map((key) => cache.getOrCompute(key, () => `v:${key}`, { ttlSeconds: 60, tags: [tag] }))),
      ).toEqual(odd.map((key) => `v:${key}`));
      expect(
        await cache.warm(odd[0] as string, () => 'forced', { ttlSeconds: 60, tags: [tag], force: true }),
      ).toMatchObject({
        warmed: true,
      });
      for (const key of odd) await cache.get(key);
      await cache.flush();
      expect(Number(await redis.hget(keys.meta(odd[1] as string), 'reads'))).toBe(1);
      expect((await cache.invalidateByTags([tag])).sort()).toEqual([...odd].sort());
      for (const key of odd) expect(await redis.exists(key)).toBe(0);

      // A pattern key whose value has a } is warmed by the worker (warmBatch, through a bulk re-warm).
      const match = `${base}:p:{id}`;
      const id = 'q}r';
      origin.route(`/${base}/${encodeURIComponent(id)}`, () => ({ body: 'pattern value' }));
      await warming.apply({
        patterns: [{ match, loader: { type: 'http', url: `${origin.url}/${base}/{id}` }, ttlSeconds: 600 }],
      });
      const report = await warming.rewarmKeys([`${base}:p:${id}`]);
      expect(report.patterns).toEqual([expect.objectContaining({ keys: 1, warmed: 1, failed: 0 })]);
      expect(await redis.get(`${base}:p:${id}`)).toBe('pattern value');
      expect(await redis.hget(keys.meta(`${base}:p:${id}`), 'source')).toBe(`bulk:${match}`);
    } finally {
      await cache.close();
    }
    expect(worker.output()).not.toContain('CROSSSLOT');
  });

  test('the eviction-policy check warns when any master has an allkeys-* policy', async () => {
    expect(await checkEvictionPolicy(redis)).toBeUndefined();
    const last = cluster.nodes[2] as RedisServer;
    const node = createRedis({ url: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${last.port}` }) as Redis;
    try {
      await node.config('SET', 'maxmemory-policy', 'allkeys-lfu');
      expect(await checkEvictionPolicy(redis)).toMatch(/^Redis maxmemory-policy is allkeys-lfu: .*cw:config/);
    } finally {
      await node.config('SET', 'maxmemory-policy', 'noeviction');
      node.disconnect();
    }
  });

  test('a worker given several seed nodes finds the cluster when the first seed is down, and prints no seed password', async () => {
    const [, second, third] = cluster.nodes;
    // Credentials on more than one seed: the startup line must redact every one of them.
    const auth = `:${encodeURIComponent(PASSWORD)}@`;
    const seeds = `redis://${auth}127.0.0.1:${await findFreePort()},redis://${auth}127.0.0.1:${second?.port},127.0.0.1:${third?.port}`;
    const { warming, worker } = await deploy(redis, { REDIS_URL: seeds, REDIS_CLUSTER: '1' });
    const tasks = Array.from({ length: 4 }, (_, i) => originTask(`seeds${i}`));
    await warming.apply({ tasks });
    for (const task of tasks) {
      await waitFor(`${task.cacheKey} warmed`, async () => (await redis.get(task.cacheKey)) === `${task.taskId}-v1`);
    }
    expect(worker.output()).toContain('Redis redis://***@127.0.0.1:');
    expect(worker.output()).not.toContain(PASSWORD);
  });
});

describe('Cluster behind NAT (nodes announce names clients cannot resolve)', () => {
  let cluster: LocalRedisCluster;
  let natMap: string;
  beforeAll(async () => {
    cluster = await startRedisCluster({ announceHostnames: true });
    cleanups.push(() => cluster.stop());
    natMap = [...cluster.hostnames].map(([port, name]) => `${name}:${port}=127.0.0.1:${port}`).join(',');
  });

  test('REDIS_NAT_MAP maps the announced addresses to reachable ones; without it nothing is written', async () => {
    const env = { REDIS_URL: cluster.url, REDIS_CLUSTER: '1', REDIS_NAT_MAP: natMap };
    const redis = createRedis(readRedisEnvironment(env)) as Cluster;
    cleanups.push(() => redis.disconnect());
    const { warming } = await deploy(redis, env);
    const tasks = Array.from({ length: 4 }, (_, i) => originTask(`nat${i}`));
    await warming.apply({ tasks });
    for (const task of tasks) {
      await waitFor(`${task.cacheKey} warmed`, async () => (await redis.get(task.cacheKey)) === `${task.taskId}-v1`);
    }

    // The same cluster without the map: the announced names do not resolve, so no warm lands.
    const unmapped = await deploy(redis, { REDIS_URL: cluster.url, REDIS_CLUSTER: '1' });
    const task = originTask('unmapped');
    await unmapped.warming.apply({ tasks: [task] });
    // Mapped, a first warm lands within a second or two; unmapped, none does.
    await expectUnchangedFor(8_000, () => redis.get(task.cacheKey));
    expect(await redis.get(task.cacheKey)).toBeNull();
  });
});

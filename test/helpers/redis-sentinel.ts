// A local Redis Sentinel group for tests: a master and a replica (Debian's redis-server) watched
// by three redis-sentinel processes (quorum 2), on free loopback ports; stopped and deleted afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisSentinel, startRedisServer, type LocalServer, type RedisServer } from '../../scripts/local-stack';
import { waitFor } from './test-env';

export interface LocalRedisSentinel {
  readonly name: string;
  readonly servers: RedisServer[];
  readonly sentinels: LocalServer[];
  /** `127.0.0.1:port,...` as REDIS_SENTINELS takes it. */
  readonly sentinelList: string;
  /** The port of the server the sentinels currently name as master. */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER, then waits until the sentinels name the other server and it accepts writes. */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRedisSentinelGroup(name = 'cwmaster'): Promise<LocalRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sentinel-'));
  const servers: RedisServer[] = [];
  const sentinels: LocalServer[] = [];
  const probes: Redis[] = [];
  const stop = async () => {
    for (const probe of probes) probe.disconnect();
    await Promise.all([...sentinels, ...servers].map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Replication writes an RDB file: keep it in the temp dir, not the working directory.
    const master = await startRedisServer({ extraArgs: ['--dir', dir] });
    servers.push(master);
    servers.push(
      await startRedisServer({
        extraArgs: ['--dir', mkdtempSync(join(dir, 'replica-')), '--replicaof', '127.0.0.1', String(master.port)],
      }),
    );
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await startRedisSentinel({
          configFile: join(dir, `sentinel-${i}.conf`),
          masterName: name,
          masterPort: master.port,
          quorum: 2,
        }),
      );
    }
    const sentinel = new Redis({
      port: (sentinels[0] as LocalServer).port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    probes.push(sentinel);
    const masterPort = async () => {
      const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
      return Number(port);
    };
    const replicaReady = async (masterAt: number) => {
      const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as string[][];
      return replicas.some((fields) => {
        const info = Object.fromEntries(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : [])));
        return (
          info['flags'] === 'slave' && info['master-link-status'] === 'ok' && Number(info['master-port']) === masterAt
        );
      });
    };
    const sentinelsAgree = async () => {
      const masters = (await sentinel.call('SENTINEL', 'MASTER', name)) as string[];
      const at = masters.indexOf('num-other-sentinels');
      return Number(masters[at + 1]) >= 2;
    };
    await waitFor(
      'the sentinels to see the replica and each other',
      async () => (await replicaReady(master.port)) && (await sentinelsAgree()),
      {
        timeoutMs: 30_000,
      },
    );
    const group: LocalRedisSentinel = {
      name,
      servers,
      sentinels,
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      masterPort,
      async failover() {
        const before = await masterPort();
        await waitFor('a replica in sync to fail over to', () => replicaReady(before), { timeoutMs: 30_000 });
        await sentinel.call('SENTINEL', 'FAILOVER', name);
        const after = await waitFor(
          'the sentinels to name a new master',
          async () => {
            const port = await masterPort();
            return port !== before ? port : undefined;
          },
          { timeoutMs: 30_000 },
        );
        const promoted = new Redis({ port: after, lazyConnect: true, maxRetriesPerRequest: 1 });
        probes.push(promoted);
        await waitFor('the new master to accept writes', async () =>
          (await promoted.info('replication')).includes('role:master'),
        );
        return after;
      },
      stop,
    };
    return group;
  } catch (err) {
    await stop();
    throw err;
  }
}

// A local Redis Cluster of three masters (no replicas) from Debian's redis-server and
// redis-cli --cluster create, on free loopback ports, for tests; stopped and deleted afterwards.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { findFreePort, startRedisServer, type RedisServer } from '../../scripts/local-stack';
import { waitFor } from './test-env';

const run = promisify(execFile);

export interface LocalRedisCluster {
  readonly nodes: RedisServer[];
  /** A seed node's URL, with the password when there is one. */
  readonly url: string;
  /** With `announceHostnames`, the name each node announces (by port): unresolvable on purpose. */
  readonly hostnames: Map<number, string>;
  stop(): Promise<void>;
}

/**
 * Starts three cluster-enabled redis-servers, joins them into one cluster and waits until it
 * serves. With `announceHostnames`, each node tells clients to reach it at
 * `node-<port>.cw-test.invalid` (Redis 7 `cluster-announce-hostname`), a name no resolver knows,
 * as nodes behind NAT or in another network announce addresses clients cannot use.
 */
export async function startRedisCluster(
  options: { password?: string; announceHostnames?: boolean } = {},
): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cluster-'));
  const nodes: RedisServer[] = [];
  const hostnames = new Map<number, string>();
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
    for (let i = 0; i < 3; i++) {
      const port = await findFreePort();
      // The bus port would otherwise be port + 10 000, which nothing checked was free.
      const busPort = await findFreePort();
      const announce = options.announceHostnames
        ? [
            '--cluster-announce-hostname',
            `node-${port}.cw-test.invalid`,
            '--cluster-preferred-endpoint-type',
            'hostname',
          ]
        : [];
      if (options.announceHostnames) hostnames.set(port, `node-${port}.cw-test.invalid`);
      nodes.push(
        await startRedisServer({
          port,
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '5000',
            '--cluster-port',
            String(busPort),
            ...auth,
            ...announce,
          ],
        }),
      );
    }
    const cli = options.password ? ['-a', options.password, '--no-auth-warning'] : [];
    await run(
      'redis-cli',
      [
        ...cli,
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    for (const node of nodes) {
      const probe = new Redis(node.url, { password: options.password, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await waitFor(`cluster_state:ok on port ${node.port}`, async () =>
          (await probe.cluster('INFO')).includes('cluster_state:ok'),
        );
      } finally {
        probe.disconnect();
      }
    }
    const first = nodes[0] as RedisServer;
    const credentials = options.password ? `:${encodeURIComponent(options.password)}@` : '';
    return { nodes, url: `redis://${credentials}127.0.0.1:${first.port}`, hostnames, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

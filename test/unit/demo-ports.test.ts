// The demo's ports on a machine that already runs things: defaults kept when free, a free port
// instead of each taken one. The "defaults" here are ports this test holds or freed itself, so it
// does not depend on what listens on 6379, 7233, 8233 or 8080 of the machine it runs on.
import { createServer, type Server } from 'node:net';
import { chooseDemoPorts, describeDemoPorts } from '../../scripts/demo-ports';
import { isPortFree } from '../../scripts/local-stack';

const held: Server[] = [];

/** A port something listens on for the rest of the test, as Debian's redis-server holds 6379. */
function holdPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      held.push(server);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Ports nothing listens on now, distinct from each other: held together, then let go. */
async function freePorts(count: number): Promise<number[]> {
  const ports = await Promise.all(Array.from({ length: count }, () => holdPort()));
  await Promise.all(held.splice(-count).map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

test('keeps every default port that is free', async () => {
  const [temporal, ui, redis, origin] = (await freePorts(4)) as [number, number, number, number];
  const defaults = { temporal, ui, redis, origin };
  const { ports, moved } = await chooseDemoPorts(defaults);
  expect(ports).toEqual(defaults);
  expect(moved).toEqual([]);
});

test('moves each service whose default is taken to a free port, and keeps the others', async () => {
  const [ui, origin] = (await freePorts(2)) as [number, number];
  const defaults = { temporal: await holdPort(), ui, redis: await holdPort('0.0.0.0'), origin }; // redis: every interface
  const { ports, moved } = await chooseDemoPorts(defaults);
  expect(moved).toEqual(['temporal', 'redis']);
  expect(ports.ui).toBe(defaults.ui);
  expect(ports.origin).toBe(defaults.origin);
  expect(ports.temporal).not.toBe(defaults.temporal);
  expect(ports.redis).not.toBe(defaults.redis);
  expect(new Set(Object.values(ports)).size).toBe(4);
  for (const port of [ports.temporal, ports.redis]) expect(await isPortFree(port)).toBe(true);
});

test('never gives one port to two services', async () => {
  const [free] = (await freePorts(1)) as [number];
  const { ports, moved } = await chooseDemoPorts({ temporal: free, ui: free, redis: free, origin: free });
  expect(ports.temporal).toBe(free);
  expect(moved).toEqual(['ui', 'redis', 'origin']);
  expect(new Set(Object.values(ports)).size).toBe(4);
});

test('says where each service is, the UI as a URL, and which default was taken', () => {
  const lines = describeDemoPorts({ ports: { temporal: 7233, ui: 41000, redis: 6379, origin: 8080 }, moved: ['ui'] });
  expect(lines).toEqual([
    expect.stringMatching(/^Temporal UI +http:\/\/127\.0\.0\.1:41000 \(8233 is taken\)$/),
    expect.stringMatching(/^Temporal +127\.0\.0\.1:7233$/),
    expect.stringMatching(/^Redis +redis:\/\/127\.0\.0\.1:6379$/),
    expect.stringMatching(/^demo origin +http:\/\/127\.0\.0\.1:8080$/),
  ]);
});

// `npm run demo` on a developer's machine that already runs a Redis on 6379 and a Temporal on 7233
// (Debian's redis-server package starts one at boot): the built demo runs from a copy of dist/ (so
// its .data/ is a temporary directory, not the checkout's) with those two ports held, and must start
// on free ones, say where the UI and Redis are, run and exit 0.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DEMO = join(ROOT, 'dist/scripts/demo.js');
const held: Server[] = [];
let root: string | undefined;

/** Holds a port as another program would; one already taken by something else is just as good. */
function hold(port: number): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolvePort() : reject(err)));
    server.listen(port, '127.0.0.1', () => {
      held.push(server);
      resolvePort();
    });
  });
}

/** A project root of its own: a copy of the build, the rest linked from the checkout. */
function demoRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cw-demo-'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  for (const linked of ['node_modules', 'examples', 'deploy', '.tools']) {
    if (existsSync(join(ROOT, linked))) symlinkSync(realpathSync(join(ROOT, linked)), join(dir, linked));
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((done) => server.close(done))));
  if (root) rmSync(root, { recursive: true, force: true });
});

test('starts with 6379 and 7233 taken, on free ports, and prints where the UI and Redis are', async () => {
  expect(existsSync(DEMO)).toBe(true); // `npm test` builds first; alone: npm run -s build
  await hold(6379);
  await hold(7233);
  root = demoRoot();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const child = spawn(process.execPath, [join(root, 'dist/scripts/demo.js'), '--duration', '8'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | null>((done) => {
    const deadline = setTimeout(() => {
      process.kill(-(child.pid as number), 'SIGKILL');
      done(null);
    }, 150_000);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      done(code);
    });
  });

  expect({ exitCode, output }).toEqual({ exitCode: 0, output: expect.any(String) });
  const temporal = /^.*Temporal +127\.0\.0\.1:(\d+) \(7233 is taken\)$/m.exec(output);
  const redis = /^.*Redis +redis:\/\/127\.0\.0\.1:(\d+) \(6379 is taken\)$/m.exec(output);
  expect(temporal?.[1]).toMatch(/^\d+$/);
  expect(redis?.[1]).toMatch(/^\d+$/);
  expect(Number(temporal?.[1])).not.toBe(7233);
  expect(Number(redis?.[1])).not.toBe(6379);
  expect(output).toMatch(/^.*Temporal UI +http:\/\/127\.0\.0\.1:\d+/m);
  expect(output).toContain(`TEMPORAL_ADDRESS=127.0.0.1:${temporal?.[1]} REDIS_URL=redis://127.0.0.1:${redis?.[1]}`);
  // It ran, not just started: the example's tasks were applied and warmed.
  expect(output).toMatch(/created, \d+ updated/);
  expect(output).toMatch(/warms [1-9]\d* ok/);
}, 180_000);

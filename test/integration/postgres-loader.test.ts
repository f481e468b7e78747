// The PostgreSQL example end to end (examples/postgres): a real PostgreSQL server (test/helpers/
// postgres-server.ts), the example's schema and config, and two processes of its built worker
// entry point against the test Temporal and Redis. Rows land in Redis as their JSON value, a
// changed row is re-warmed on demand, what the database refuses fails clearly, and the per-origin
// concurrency cap holds for the database across both workers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { escapeLiteral, Pool, type Client } from 'pg';
import { postgresRowLoader, PostgresFailureTypes } from '../../examples/postgres/postgres-row-loader';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { stackEnv, testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestStack } from '../helpers/use-test-stack';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../..');
const ENTRY = resolve(ROOT, 'dist/examples/postgres/main.js');
const EXAMPLE = resolve(ROOT, 'examples/postgres');
/** The database's share of the deployment: two loads in flight, whichever worker makes them. */
const ORIGIN_CONCURRENCY = 2;

const stack = useTestStack({ worker: false }); // the workers under test are the example's processes
const ns = uniqueName('pg');
const readerPassword = uniqueName('secret');
let pg: PostgresServer;
const configDir = mkdtempSync(join(tmpdir(), 'cw-postgres-config-'));
const workers: WorkerProcess[] = [];

interface ExampleConfig {
  tasks: { taskId: string; cacheKey: string; tags?: string[]; [field: string]: unknown }[];
  patterns: { match: string; [field: string]: unknown }[];
}

/** The example's own config, its ids and keys under this file's namespace (the Redis is shared). */
function exampleConfig(): ExampleConfig {
  const config = JSON.parse(readFileSync(join(EXAMPLE, 'warming.config.json'), 'utf8')) as ExampleConfig;
  return {
    tasks: config.tasks.map((task) => ({
      ...task,
      taskId: `${ns}-${task.taskId}`,
      cacheKey: `${ns}:${task.cacheKey}`,
    })),
    patterns: config.patterns.map((pattern) => ({ ...pattern, match: `${ns}:${pattern.match}` })),
  };
}

const featured = () => exampleConfig().tasks[0] as ExampleConfig['tasks'][number];

async function applyConfig(config: ExampleConfig): Promise<void> {
  const file = join(configDir, `${uniqueName('config')}.json`);
  writeFileSync(file, JSON.stringify(config));
  const result = await runWarmctlBinary(['apply', '-f', file], stackEnv(stack));
  expect(result).toMatchObject({ code: 0 });
}

function startExampleWorker(name: string, env: Record<string, string> = {}): WorkerProcess {
  const worker = startWorkerProcess(
    {
      ...stackEnv(stack),
      ...pg.env('cw_reader', readerPassword),
      PGAPPNAME: `cw-${name}`,
      WARMING_ORIGIN_CONCURRENCY: String(ORIGIN_CONCURRENCY),
      WARMING_WORKFLOW_BUNDLE: testServers().workflowBundlePath,
      // The worker refuses a broken config file at start, as `npm run worker` does.
      WARMING_CONFIG: join(EXAMPLE, 'warming.config.json'),
      ...env,
    },
    ENTRY,
  );
  workers.push(worker);
  return worker;
}

async function setProduct(id: string, data: unknown): Promise<void> {
  await pg.query(
    'INSERT INTO products (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = $2, updated_at = now()',
    [id, JSON.stringify(data)],
  );
}

const stored = async (key: string) => {
  const value = await stack.redis.get(key);
  return value === null ? undefined : (JSON.parse(value) as unknown);
};

beforeAll(async () => {
  pg = await startPostgres();
  await pg.query(readFileSync(join(EXAMPLE, 'schema.sql'), 'utf8'));
  await pg.query(`ALTER ROLE cw_reader PASSWORD ${escapeLiteral(readerPassword)}`);
  await setProduct('p1', { name: 'Kettle', price: 25 });
  await setProduct('p2', { name: 'Teapot', price: 40 });
  await setProduct('p3', { name: 'Mug', price: 8 });
  startExampleWorker('a');
  startExampleWorker('b');
  await Promise.all(workers.map((worker) => worker.polling()));
  await applyConfig(exampleConfig());
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await killWorkerProcesses();
  await pg?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

test("a task's row is stored at its key as the row's JSON value, with the task's TTL", async () => {
  const task = featured();
  await waitFor(`${task.cacheKey} warmed from postgres`, async () => {
    const value = await stored(task.cacheKey);
    return value !== undefined && value;
  });
  expect(await stored(task.cacheKey)).toEqual({ name: 'Kettle', price: 25 });
  const ttl = await stack.redis.ttl(task.cacheKey);
  expect(ttl).toBeGreaterThan(500);
  expect(ttl).toBeLessThanOrEqual(600);
});

test('a changed row is in Redis after a forced warm', async () => {
  const task = featured();
  await waitFor('the first warm', async () => (await stored(task.cacheKey)) !== undefined);
  await setProduct('p1', { name: 'Kettle', price: 19 });
  const result = await runWarmctlBinary(['warm', task.taskId], stackEnv(stack));
  expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(`warmed ${task.taskId}`) as unknown });
  expect(await stored(task.cacheKey)).toEqual({ name: 'Kettle', price: 19 });
});

test("keys imported through the example's pattern are read by their {id}", async () => {
  const keys = [`${ns}:product:p2`, `${ns}:product:p3`];
  const result = await runWarmctlBinary(['import', '-f', '-'], stackEnv(stack), { stdin: `${keys.join('\n')}\n` });
  expect(result).toMatchObject({ code: 0 });
  expect(await stored(keys[0] as string)).toEqual({ name: 'Teapot', price: 40 });
  expect(await stored(keys[1] as string)).toEqual({ name: 'Mug', price: 8 });
});

test('a missing row fails the warm at once, naming the table and key, and the stored value stays', async () => {
  const task = featured();
  await waitFor('the first warm', async () => (await stored(task.cacheKey)) !== undefined);
  const before = await stack.redis.get(task.cacheKey);
  await pg.query("DELETE FROM products WHERE id = 'p1'");
  try {
    const result = await runWarmctlBinary(['warm', task.taskId], stackEnv(stack));
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^warmctl: warm of ${task.taskId} failed after \\S+: .*no row in products with id "p1"$`),
    );
    // Not retried: the warm policy's five attempts would wait 1 + 2 + 4 + 8 s between them.
    const outcome = await stack.warming.warm(task.taskId);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('no row in products') as unknown });
    expect(outcome?.durationMs).toBeLessThan(5000);
    expect(await stack.redis.get(task.cacheKey)).toBe(before);
  } finally {
    await setProduct('p1', { name: 'Kettle', price: 19 });
  }
});

test('a refusal by the database fails the warm naming it and its SQLSTATE', async () => {
  const task = featured();
  await pg.query('REVOKE SELECT ON products FROM cw_reader');
  try {
    const result = await runWarmctlBinary(['warm', task.taskId], stackEnv(stack));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('postgres: permission denied for table products (SQLSTATE 42501)');
  } finally {
    await pg.query('GRANT SELECT ON products TO cw_reader');
  }
  const result = await runWarmctlBinary(['warm', task.taskId], stackEnv(stack));
  expect(result).toMatchObject({ code: 0 });
});

test('a worker whose login the database refuses stops at start with one line', async () => {
  const worker = startExampleWorker('wrong-password', { PGPASSWORD: 'not-the-password' });
  expect(await worker.exited).toBe(1);
  expect(worker.output().trim()).toBe(
    'postgres worker: postgres: password authentication failed for user "cw_reader" (SQLSTATE 28P01)',
  );
});

test('no more loads than the per-origin cap run in the database at once, across both workers', async () => {
  const ids = Array.from({ length: 12 }, (_, i) => `burst${String(i).padStart(2, '0')}`);
  for (const id of ids) await setProduct(id, { name: id });
  const base = exampleConfig();
  const tasks = ids.map((id) => ({
    ...featured(),
    taskId: `${ns}-${id}`,
    cacheKey: `${ns}:burst:${id}`,
    name: id,
    loader: { type: 'custom', name: 'postgres', args: { table: 'products', key: id } },
    tags: [`${ns}-burst`],
  }));
  await applyConfig({ ...base, tasks: [...base.tasks, ...tasks] });
  await waitFor('every burst task warmed once', async () => {
    const values = await stack.redis.mget(...tasks.map((task) => task.cacheKey));
    return values.every((value) => value !== null);
  });

  // Every load blocks on the lock, so the loads in the database are exactly the ones let through.
  const lock: Client = await pg.connect();
  const inDatabase = async () => {
    const { rows } = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE usename = 'cw_reader' AND state = 'active' AND query LIKE '%FROM "products"%'`,
    );
    return rows[0]?.n ?? 0;
  };
  let peak = 0;
  try {
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
    const report = await stack.warming.warmByTag(`${ns}-burst`, { wait: false });
    expect(report.requested).toBe(ids.length);
    await waitFor('loads waiting on the lock', async () => (await inDatabase()) >= ORIGIN_CONCURRENCY);
    // Two workers with a pool of two each could run four; twelve warms are waiting.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      peak = Math.max(peak, await inDatabase());
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await lock.query('COMMIT').catch(() => undefined);
    await lock.end();
  }
  expect(peak).toBe(ORIGIN_CONCURRENCY);
  await waitFor(
    'every forced warm done once the lock is gone',
    async () => {
      const statuses = await Promise.all(tasks.map((task) => stack.warming.status(task.taskId)));
      return statuses.every((status) => status.warmCount >= 2 && status.state !== 'warming');
    },
    { timeoutMs: 60_000 },
  );
});

describe('the loader itself (postgresRowLoader)', () => {
  let pool: Pool;
  const context = (signal = new AbortController().signal, vars: Record<string, string> = {}) => ({
    signal,
    vars,
    heartbeat: () => undefined,
  });
  beforeAll(() => {
    pool = new Pool({ ...connection(), max: 2 });
    pool.on('error', () => undefined); // connections closed by the server at the end
  });
  afterAll(async () => {
    await pool.end();
  });
  const connection = () => ({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: pg.database,
  });

  test('reads the whole row as an object without valueColumn, and a pattern key from {id}', async () => {
    await setProduct('whole', { name: 'Whole' });
    const load = postgresRowLoader({ pool, tables: { products: { keyColumn: 'id' } } });
    const row = (await load({ table: 'products' }, context(undefined, { id: 'whole' }))) as Record<string, unknown>;
    expect(row).toMatchObject({ id: 'whole', data: { name: 'Whole' } });
  });

  test.each([
    [
      { table: 'orders', key: 'x' },
      PostgresFailureTypes.badInput,
      'args.table must be one of the tables this worker reads (products), got "orders"',
    ],
    [{ table: 'products' }, PostgresFailureTypes.badInput, 'args.key must be a non-empty string'],
    [{ table: 'products', key: 'nope' }, PostgresFailureTypes.rowNotFound, 'no row in products with id "nope"'],
  ])('refuses %j without retry', async (args, type, message) => {
    const load = postgresRowLoader({ pool, tables: { products: { keyColumn: 'id', valueColumn: 'data' } } });
    const failure = await load(args, context()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type, nonRetryable: true, message: expect.stringContaining(message) as unknown });
  });

  test('a key of the wrong type is a permanent refusal naming its SQLSTATE', async () => {
    await pg.query('CREATE TABLE IF NOT EXISTS counters (n integer PRIMARY KEY, v text)');
    const load = postgresRowLoader({ pool, tables: { counters: { keyColumn: 'n', valueColumn: 'v' } } });
    await expect(load({ table: 'counters', key: 'seven' }, context())).rejects.toMatchObject({
      type: PostgresFailureTypes.databaseRefused,
      nonRetryable: true,
      message: expect.stringContaining('(SQLSTATE 22P02)') as unknown,
    });
  });

  test('a cancelled load ends at once and gives its connection up', async () => {
    const load = postgresRowLoader({ pool, tables: { products: { keyColumn: 'id', valueColumn: 'data' } } });
    const lock = await pg.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(load({ table: 'products', key: 'p2' }, context(AbortSignal.timeout(300)))).rejects.toThrow(
        /^postgres: query abandoned/,
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      // Destroyed, not left checked out: every connection the pool still has is idle.
      expect(pool.totalCount).toBe(pool.idleCount);
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }
    expect(await load({ table: 'products', key: 'p2' }, context())).toEqual({ name: 'Teapot', price: 40 });
  });

  test('a server that is away is an error to retry, saying so', async () => {
    const away = new Pool({ ...connection(), port: 1, max: 1 });
    try {
      const load = postgresRowLoader({ pool: away, tables: { products: { keyColumn: 'id' } } });
      const failure = await load({ table: 'products', key: 'p1' }, context()).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).not.toBeInstanceOf(ApplicationFailure);
      expect(String((failure as Error).message)).toMatch(/^postgres: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    } finally {
      await away.end();
    }
  });
});

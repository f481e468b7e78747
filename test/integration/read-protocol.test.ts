// The read protocol of docs/read-protocol.md, kept by a reader in another language: the Python
// reader (examples/python/cache_reader.py, run with the redis-py that bootstrap installs in
// .tools/python) leaves the same counts as the TypeScript cache client, the optimiser's usage
// reader sees them, and it takes part in the cross-process single-flight on a miss.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCacheClient } from '../../cache/cache-client';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { RedisUsageTracker } from '../../store/usage-tracker';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../..');
const PYTHON = resolve(ROOT, '.tools/python/bin/python');
const DRIVER = resolve(ROOT, 'test/helpers/cache_reader_driver.py');
const RETENTION_MINUTES = 75;
const stack = useTestStack({ worker: false });

type Op =
  | { op: 'get'; key: string }
  | { op: 'getOrCompute'; key: string; value: string; ttlSeconds: number; computeMs?: number }
  | { op: 'names'; key: string }
  | { op: 'hold' };

interface OpResult {
  value?: string | null;
  computed?: boolean;
  elapsedMs?: number;
  meta?: string;
  lock?: string;
}

interface PythonRun {
  /** Resolves once a `hold` op is reached (the reader open, its counts flushed only by its timer). */
  holding: Promise<void>;
  /** Lets a held reader go on, then resolves with every op's result once it has closed. */
  finish(): Promise<OpResult[]>;
}

/** Starts the Python driver on `ops` with its own connection, named `clientName` in CLIENT LIST. */
function startPython(
  ops: Op[],
  options: { prefix: string; clientName?: string; reader?: Record<string, number> },
): PythonRun {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run npm run bootstrap (it installs redis-py)`);
  const spec = {
    redisUrl: testServers().redisUrl,
    prefix: options.prefix,
    clientName: options.clientName ?? null,
    options: options.reader ?? {},
    ops,
  };
  const child = spawn(PYTHON, [DRIVER, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onHolding = () => {};
  const holding = new Promise<void>((resolveHolding) => (onHolding = resolveHolding));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('{"holding": true}')) onHolding();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<OpResult[]>((resolveRun, rejectRun) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return rejectRun(new Error(`the Python reader exited ${code}: ${stderr}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      resolveRun((JSON.parse(last) as { results: OpResult[] }).results);
    });
  });
  return {
    holding,
    finish: () => {
      child.stdin.end();
      return exited;
    },
  };
}

const runPython = (ops: Op[], options: Parameters<typeof startPython>[1]) => startPython(ops, options).finish();

/** A prefix of its own under the stack's, so each side's counts are read apart. */
function sidePrefix(side: string): string {
  return `${stack.prefix}${side}:`;
}

/** A cache key unique to this run, outside every reserved prefix. */
function dataKey(name: string): string {
  return `${uniqueName('rp')}:${name}`;
}

/** Stores `value` at `key` with metadata under `prefix`, as a warm does. */
async function warmAs(prefix: string, key: string, value: string): Promise<void> {
  const store = new RedisCacheStore(stack.redis, redisKeys(prefix));
  const version = await store.serverTimeMs(key);
  await store.writeIfNewer({ key, value, ttlSeconds: 600, version, durationMs: 1, source: 'test-warm', tags: [] });
}

/** Keys with every shape the slot tag rule distinguishes, `}` without a tag among them. */
const SHAPES = {
  plain: 'plain',
  hashTag: 'user{42}:profile',
  closingBrace: 'closing}brace',
  emptyTag: '{}empty}tag',
  unicode: 'ключ:é',
};

describe('counts', () => {
  test('the same reads through the Python reader and the TypeScript client leave the same counts in Redis', async () => {
    const base = dataKey('same');
    const keysOf = (side: string): Record<string, string> => ({
      ...Object.fromEntries(Object.entries(SHAPES).map(([name, shape]) => [name, `${base}:${side}:${shape}`])),
      missing: `${base}:${side}:missing`,
      computed: `${base}:${side}:computed`,
    });
    const reads = ['plain', 'hashTag', 'closingBrace', 'plain', 'missing', 'closingBrace', 'unicode', 'emptyTag'];
    reads.push('closingBrace', 'hashTag', 'plain', 'missing', 'unicode', 'closingBrace');
    const expectedAccesses = {
      plain: 3,
      hashTag: 2,
      closingBrace: 4,
      emptyTag: 1,
      unicode: 2,
      missing: 2,
      computed: 2,
    };
    const expectedReads = { plain: 3, hashTag: 2, closingBrace: 4, emptyTag: 1, unicode: 2, computed: 1 };

    const sides = { ts: sidePrefix('ts'), py: sidePrefix('py') };
    for (const [side, prefix] of Object.entries(sides)) {
      for (const name of Object.keys(SHAPES)) await warmAs(prefix, keysOf(side)[name] as string, `value of ${name}`);
    }
    const tsKeys = keysOf('ts');
    const ts = createCacheClient({ redisUrl: testServers().redisUrl, prefix: sides.ts, flushIntervalMs: 3_600_000 });
    for (const name of reads) await ts.get(tsKeys[name] as string);
    // A computed miss counts an access and no read; the next call is a hit.
    for (let i = 0; i < 2; i++) await ts.getOrCompute(tsKeys.computed as string, () => 'computed', { ttlSeconds: 600 });
    await ts.close();

    const pyKeys = keysOf('py');
    const computeOp: Op = { op: 'getOrCompute', key: pyKeys.computed as string, value: 'computed', ttlSeconds: 600 };
    const results = await runPython(
      [...reads.map((name): Op => ({ op: 'get', key: pyKeys[name] as string })), computeOp, computeOp],
      { prefix: sides.py, reader: { flush_interval_ms: 3_600_000 } }, // one flush, at close, like the TS side
    );
    expect(results.map((result) => result.value)).toEqual([
      ...reads.map((name) => (name === 'missing' ? null : `value of ${name}`)),
      'computed',
      'computed',
    ]);
    expect(results.slice(-2).map((result) => result.computed)).toEqual([true, false]);

    /** What the side left in Redis, by key name: accesses over the window, then the metadata's reads. */
    const countsOf = async (side: 'ts' | 'py') => {
      const prefix = sides[side];
      const keys = keysOf(side);
      const window = await new RedisUsageTracker(stack.redis, redisKeys(prefix)).readWindow(5, {
        limit: 100,
        minCount: 1,
      });
      const names = new Map(Object.entries(keys).map(([name, key]) => [key, name]));
      const accesses = Object.fromEntries(window.top.map((usage) => [names.get(usage.key) ?? usage.key, usage.count]));
      const readCounts: Record<string, number> = {};
      for (const [name, key] of Object.entries(keys)) {
        const reads = await stack.redis.hget(redisKeys(prefix).meta(key), 'reads');
        if (reads !== null) readCounts[name] = Number(reads);
      }
      const computedSource = await stack.redis.hget(redisKeys(prefix).meta(keys.computed as string), 'source');
      return { accesses, distinct: window.distinctKeys, readCounts, computedSource };
    };
    const expected = {
      accesses: expectedAccesses,
      distinct: 7,
      readCounts: expectedReads,
      computedSource: 'cache-client',
    };
    expect(await countsOf('ts')).toEqual(expected);
    expect(await countsOf('py')).toEqual(expected);

    // The same keys under each prefix (no stray ones, no lock left), the buckets with the same absolute expiry.
    const layout = async (side: 'ts' | 'py') => {
      const found = await stack.redis.keys(`${sides[side]}*`);
      const buckets = found.filter((key) => key.includes('{usage}:m:'));
      for (const bucket of buckets) {
        const minute = Number(bucket.slice(bucket.lastIndexOf(':') + 1));
        expect(await stack.redis.call('EXPIRETIME', bucket)).toBe((minute + 1 + RETENTION_MINUTES) * 60);
      }
      return found
        .map((key) =>
          key
            .replaceAll(sides[side], '<prefix>')
            .replaceAll(`:${side}:`, ':<side>:')
            .replace(/m:\d+$/, 'm:<minute>'),
        )
        .map((key) => key.replace(/meta:\{[0-9a-z]{1,4}\}:(.*closing\}brace|.*\{\}empty\}tag)$/, 'meta:{<slot>}:$1'))
        .sort();
    };
    const tsLayout = await layout('ts');
    expect(tsLayout.length).toBeGreaterThan(6);
    expect(await layout('py')).toEqual(tsLayout);
  });

  test('reads flushed by the Python reader on its own timer are the hot keys the optimiser reads', async () => {
    const prefix = sidePrefix('timer');
    const [hot, cold] = [dataKey('hot}one'), dataKey('cold')];
    await warmAs(prefix, hot, 'hot');
    await warmAs(prefix, cold, 'cold');
    const run = startPython(
      [...Array.from({ length: 5 }, (): Op => ({ op: 'get', key: hot })), { op: 'get', key: cold }, { op: 'hold' }],
      { prefix, reader: { flush_interval_ms: 200 } },
    );
    await run.holding;
    const usage = new RedisUsageTracker(stack.redis, redisKeys(prefix));
    const expected = JSON.stringify({
      top: [
        [hot, 5],
        [cold, 1],
      ],
      reads: '5',
    });
    try {
      // The buckets and the metadata are written one after the other: wait for both.
      await waitFor('the Python reads in the usage buckets and the metadata', async () => {
        const top = await usage.topKeys(5, 10);
        const reads = await stack.redis.hget(redisKeys(prefix).meta(hot), 'reads');
        return JSON.stringify({ top: top.map((entry) => [entry.key, entry.count]), reads }) === expected;
      });
      expect((await usage.frequencies([hot, cold], 5)).get(hot)).toBe(1);
    } finally {
      await run.finish();
    }
  });

  test('the Python reader names metadata and locks as the TypeScript key builders do, for any key', async () => {
    const keys = [...Object.values(SHAPES), 'a}b', '}{', '{', '{a}}', 'x{}{y}', 'é{ü}z', '{😀}', 'only}', 'k{}'];
    const prefix = sidePrefix('names');
    const results = await runPython(
      keys.map((key): Op => ({ op: 'names', key })),
      { prefix },
    );
    expect(results).toEqual(
      keys.map((key) => ({ meta: redisKeys(prefix).meta(key), lock: redisKeys(prefix).lock(key) })),
    );
  });
});

describe('single-flight', () => {
  /** Whether the Python reader named `name` is polling for a value (its last command the lock's EXISTS). */
  async function pollingFor(name: string): Promise<boolean> {
    const clients = (await stack.redis.client('LIST')) as string;
    return clients.split('\n').some((line) => line.includes(` name=${name} `) && line.includes(' cmd=exists '));
  }

  test('a Python miss waits for the value of whoever holds the lock and does not compute', async () => {
    const prefix = sidePrefix('wait');
    const key = dataKey('held}key');
    const lockKey = redisKeys(prefix).lock(key);
    await stack.redis.set(lockKey, 'a-warm-loading', 'PX', 60_000); // as a warm or preload holds it
    const clientName = uniqueName('py-waiter');
    const run = startPython([{ op: 'getOrCompute', key, value: 'from python', ttlSeconds: 60 }], {
      prefix,
      clientName,
      reader: { lock_ms: 20_000, lock_poll_ms: 20 },
    });
    const finished = run.finish();
    await waitFor('the Python reader polling', () => pollingFor(clientName));
    await warmAs(prefix, key, 'from the warm');
    const [result] = await finished;
    expect(result).toMatchObject({ value: 'from the warm', computed: false });
    expect(result?.elapsedMs).toBeLessThan(20_000);
    expect(await stack.redis.get(lockKey)).toBe('a-warm-loading'); // not its lock: left alone
    expect(await stack.redis.hget(redisKeys(prefix).meta(key), 'reads')).toBe('1'); // the value it waited for is a read
  });

  test('a Python miss computes itself once lockMs has passed with the lock still held', async () => {
    const prefix = sidePrefix('late');
    const key = dataKey('abandoned}');
    const lockKey = redisKeys(prefix).lock(key);
    await stack.redis.set(lockKey, 'someone-who-crashed', 'PX', 60_000);
    const [result] = await runPython([{ op: 'getOrCompute', key, value: 'from python', ttlSeconds: 60 }], {
      prefix,
      reader: { lock_ms: 1_000, lock_poll_ms: 20 },
    });
    expect(result).toMatchObject({ value: 'from python', computed: true });
    expect(result?.elapsedMs).toBeGreaterThanOrEqual(1_000);
    expect(await stack.redis.get(key)).toBe('from python');
    expect(await stack.redis.hget(redisKeys(prefix).meta(key), 'source')).toBe('cache-client');
    expect(await stack.redis.get(lockKey)).toBe('someone-who-crashed');
  });

  test('a TypeScript miss waits for the value a Python reader is computing under the lock', async () => {
    const prefix = sidePrefix('py-holds');
    const key = dataKey('py}computes');
    const run = startPython([{ op: 'getOrCompute', key, value: 'from python', ttlSeconds: 60, computeMs: 1_500 }], {
      prefix,
      reader: { lock_ms: 10_000 },
    });
    const finished = run.finish();
    await waitFor(
      'the Python reader holding the lock',
      async () => (await stack.redis.exists(redisKeys(prefix).lock(key))) === 1,
    );
    const ts = createCacheClient({ redisUrl: testServers().redisUrl, prefix, lockMs: 10_000 });
    let tsComputes = 0;
    const value = await ts.getOrCompute(key, () => ++tsComputes && 'from typescript', { ttlSeconds: 60 });
    await ts.close();
    expect({ value, tsComputes }).toEqual({ value: 'from python', tsComputes: 0 });
    expect((await finished)[0]).toMatchObject({ value: 'from python', computed: true });
    expect(await stack.redis.exists(redisKeys(prefix).lock(key))).toBe(0); // released by its holder
  });
});

// read-path-get: the application's read through createCacheClient().get (which counts the access,
// flushed in batches) against a plain ioredis GET on the same keys: per-read latency one at a
// time, and throughput with many reads in flight.
import { Redis } from 'ioredis';
import { createCacheClient } from '../../cache/cache-client';
import { alternate, since, type BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { itemValue } from '../bench-values';
import { percentile, roundSpread, summarize } from '../stats';
import { mulberry32 } from '../zipf';

export interface ReadPathOptions {
  keys: number;
  /** Sequential reads per latency repeat. */
  latencyReads: number;
  /** Reads per throughput repeat. */
  throughputReads: number;
  /** Reads in flight during the throughput test. */
  inFlight: number;
  repeats: number;
}

type Get = (key: string) => Promise<string | null>;

/** Latencies (µs) of `reads` awaited one after another. */
async function sequential(get: Get, keys: readonly string[], reads: number, seed: number): Promise<number[]> {
  const random = mulberry32(seed);
  const out = new Array<number>(reads);
  for (let i = 0; i < reads; i++) {
    const key = keys[Math.floor(random() * keys.length)] as string;
    const started = performance.now();
    const value = await get(key);
    out[i] = (performance.now() - started) * 1000;
    if (value === null) throw new Error(`read of ${key} missed`);
  }
  return out;
}

/**
 * Latencies (µs) of `reads` awaited one after another per client, the clients taking turns in
 * blocks of `block` reads: on a shared, noisy machine each client sees the same conditions.
 */
async function interleaved(
  gets: readonly Get[],
  keys: readonly string[],
  reads: number,
  block: number,
  seed: number,
): Promise<number[][]> {
  const out = gets.map(() => [] as number[]);
  for (let done = 0; done < reads; done += block) {
    for (let c = 0; c < gets.length; c++) {
      const latencies = await sequential(gets[c] as Get, keys, Math.min(block, reads - done), seed + done + c);
      (out[c] as number[]).push(...latencies);
    }
  }
  return out;
}

/** Reads per second with `inFlight` loops reading at once. */
async function throughput(get: Get, keys: readonly string[], reads: number, inFlight: number, seed: number) {
  const random = mulberry32(seed);
  let left = reads;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (left > 0) {
        left--;
        await get(keys[Math.floor(random() * keys.length)] as string);
      }
    }),
  );
  return reads / (since(started) / 1000);
}

export async function runReadPath(ctx: BenchContext, options: ReadPathOptions): Promise<BenchRow[]> {
  const url = ctx.stack.redis.url;
  const keys = Array.from({ length: options.keys }, (_, i) => `bench:read:${i}`);
  const setup = ctx.redis.pipeline();
  keys.forEach((key, i) => setup.set(key, itemValue(i), 'EX', 3600));
  await setup.exec();

  // Both as an application would build them: the product's client, and ioredis with its defaults.
  const cache = createCacheClient({ redisUrl: url, logger: { warn: (m) => ctx.log(`cache client: ${m}`) } });
  const plain = new Redis(url);
  // Diagnostic: plain GETs on a connection configured like the product's (autopipelining on),
  // to tell the cost of access counting from the cost of autopipelining.
  const autopipelined = new Redis(url, { enableAutoPipelining: true });
  const cacheGet: Get = (key) => cache.get(key);
  const plainGet: Get = (key) => plain.get(key);
  const autoGet: Get = (key) => autopipelined.get(key);
  const p50 = { cache: [] as number[], plain: [] as number[], auto: [] as number[] };
  const p99 = { cache: [] as number[], plain: [] as number[], auto: [] as number[] };
  const rate = { cache: [] as number[], plain: [] as number[], auto: [] as number[] };
  try {
    await sequential(cacheGet, keys, 2000, 1);
    await sequential(plainGet, keys, 2000, 1);
    await sequential(autoGet, keys, 2000, 1);
    const names = ['cache', 'plain', 'auto'] as const;
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const latencies = await interleaved([cacheGet, plainGet, autoGet], keys, options.latencyReads, 250, repeat * 1e6);
      names.forEach((name, i) => {
        p50[name].push(percentile(latencies[i] as number[], 50));
        p99[name].push(percentile(latencies[i] as number[], 99));
      });
    }
    const measure = (name: 'cache' | 'plain' | 'auto', get: Get) => async (repeat: number) => {
      rate[name].push(await throughput(get, keys, options.throughputReads, options.inFlight, 200 + repeat));
    };
    await alternate(options.repeats, measure('cache', cacheGet), async (repeat) => {
      await measure('plain', plainGet)(repeat);
      await measure('auto', autoGet)(repeat);
    });
  } finally {
    await cache.close();
    plain.disconnect();
    autopipelined.disconnect();
  }
  // The counts reached Redis: the access counting is part of what was measured.
  const counted = await ctx.redis.keys('cw:{usage}:m:*');
  if (counted.length === 0) throw new Error('the cache client recorded no accesses');

  const params = {
    keys: options.keys,
    valueBytes: itemValue(0).length,
    latencyReadsPerRepeat: options.latencyReads,
    latencyInterleaving: 'the three clients take turns in blocks of 250 sequential reads',
    throughputReadsPerRepeat: options.throughputReads,
    inFlight: options.inFlight,
    repeats: options.repeats,
    cacheClient: 'createCacheClient defaults (no auto-pipelining, counts flushed every 1 s)',
    plainClient: 'new Redis(url) with ioredis defaults',
    diagnostic: {
      what: 'plain GET on new Redis(url, { enableAutoPipelining: true }), the worker connection option (cache client option autoPipelining)',
      p50Us: roundSpread(summarize(p50.auto)),
      p99Us: roundSpread(summarize(p99.auto)),
      readsPerSecond: roundSpread(summarize(rate.auto)),
    },
  };
  const workload = `GET of ${options.keys} warm keys of ${itemValue(0).length} B from one process, loopback Redis`;
  const common = { temporalPersistence: ctx.persistence, params };
  return [
    makeRow({
      ...common,
      name: 'read-path-get',
      unit: 'µs',
      better: 'lower',
      baseline: 'plain ioredis GET',
      value: summarize(p50.cache),
      baselineValue: summarize(p50.plain),
      workload: `${workload}; median latency of reads awaited one at a time`,
      target: { op: '<=', value: 1.25 },
    }),
    makeRow({
      ...common,
      name: 'read-path-get-p99',
      unit: 'µs',
      better: 'lower',
      baseline: 'plain ioredis GET',
      value: summarize(p99.cache),
      baselineValue: summarize(p99.plain),
      workload: `${workload}; 99th percentile latency of reads awaited one at a time`,
    }),
    makeRow({
      ...common,
      name: 'read-path-get-throughput',
      unit: 'reads/s',
      better: 'higher',
      baseline: 'plain ioredis GET',
      value: summarize(rate.cache),
      baselineValue: summarize(rate.plain),
      workload: `${workload}; ${options.inFlight} reads in flight`,
      target: { op: '>=', value: 0.8 },
    }),
  ];
}

// hit-ratio-zipf and hit-ratio-oltp: a read workload replayed in simulated time against a TTL
// cache under this warmer with its shipped defaults (the project's own interval policy and the
// optimiser's hot-key planning, core/warm-selection.ts, see cache-sim.ts), cache-aside with no
// warming, the seed's fixed-interval warming, and an oracle that knows the future (the -limit
// rows); hit ratio and origin calls. The OLTP trace is the ARC paper's: Nimrod Megiddo and
// Dharmendra S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", USENIX FAST '03,
// pp. 115-130, 2003.
import { resolve } from 'node:path';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { DEFAULT_COLD_INTERVAL_MINUTES, DEFAULT_INTERVAL_RULES, parseWarmingConfig } from '../../core/config-schema';
import type { BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { simulate, topKeysOfPrefix, type OptimizerSimSettings, type SimResult, type SimSettings } from '../cache-sim';
import { findOltpTrace, loadOltpTrace } from '../oltp-trace';
import { round, roundSpread, summarize } from '../stats';
import { mulberry32, ZipfSampler } from '../zipf';
import {
  alternativeRows,
  ALTERNATIVES_DESCRIPTION,
  runAlternatives,
  type AlternativesOutcome,
} from './hit-ratio-alternatives';
import { runScenarios } from './hit-ratio-scenarios';

export const TTL_SECONDS = 600;
/** How long every origin load takes in the simulation, in seconds, for every policy. */
export const ORIGIN_LATENCY_SECONDS = 0.05;
/** Registered tasks of both warmers: the most read keys of the first simulated hour. */
export const STATIC_TASKS = 200;

/**
 * The warmer as a user gets it: the optimiser settings of an empty config (every hot-key field
 * self-tuned) and the worker's default per-origin rate limit.
 */
export function shippedOptimizer(): OptimizerSimSettings {
  const { optimizer } = parseWarmingConfig({});
  return { ...optimizer, originRatePerSecond: DEFAULT_LIMITS.originRatePerSecond };
}

/** The hand-tuned explicit settings the bench reported before self-tuning, for comparison. */
export const TUNED_OPTIMIZER: OptimizerSimSettings = {
  everyMinutes: 1,
  windowMinutes: 60,
  topN: 5000,
  minAccessFrequency: 0.1,
  expiringWithinSeconds: 60,
  rules: DEFAULT_INTERVAL_RULES,
  coldIntervalMinutes: DEFAULT_COLD_INTERVAL_MINUTES,
  originRatePerSecond: DEFAULT_LIMITS.originRatePerSecond,
};

/** The fixed defaults shipped before self-tuning (every 15 min, top 10, 120 s), for comparison. */
export const OLD_DEFAULT_OPTIMIZER: OptimizerSimSettings = {
  ...TUNED_OPTIMIZER,
  everyMinutes: 15,
  topN: 10,
  expiringWithinSeconds: 120,
};

interface Outcome {
  cacheAside: SimResult;
  fixed: SimResult;
  warmer: SimResult;
  oracle: SimResult;
  warmerTuned: SimResult;
  warmerOldDefaults: SimResult;
  alternatives: AlternativesOutcome;
}

/** Settings every policy runs with: the TTL, the rate, the origin's latency and the worker's per-origin limit. */
export function simSettings(readsPerSecond: number): SimSettings {
  return {
    ttlSeconds: TTL_SECONDS,
    readsPerSecond,
    originLatencySeconds: ORIGIN_LATENCY_SECONDS,
    refreshRatePerSecond: DEFAULT_LIMITS.originRatePerSecond,
  };
}

/** The registered tasks of both warmers: the most read keys of the first simulated hour. */
export function staticTasks(reads: Int32Array, keyCount: number, readsPerSecond: number): number[] {
  return topKeysOfPrefix(reads, readsPerSecond * 3600, keyCount, STATIC_TASKS);
}

function runPolicies(reads: Int32Array, keyCount: number, settings: SimSettings): Outcome {
  const keys = staticTasks(reads, keyCount, settings.readsPerSecond);
  const configured = TTL_SECONDS / 60;
  const warmer = (optimizer: OptimizerSimSettings) =>
    simulate(reads, keyCount, settings, { kind: 'warmer', keys, intervalMinutes: configured, optimizer });
  const cacheAside = simulate(reads, keyCount, settings, { kind: 'cache-aside' });
  return {
    cacheAside,
    fixed: simulate(reads, keyCount, settings, { kind: 'fixed-interval', keys, intervalMinutes: configured }),
    warmer: warmer(shippedOptimizer()),
    oracle: simulate(reads, keyCount, settings, { kind: 'oracle' }),
    warmerTuned: warmer(TUNED_OPTIMIZER),
    warmerOldDefaults: warmer(OLD_DEFAULT_OPTIMIZER),
    alternatives: runAlternatives(reads, keyCount, settings, {
      kind: 'warmer',
      keys,
      intervalMinutes: configured,
      optimizer: shippedOptimizer(),
    }),
  };
}

function rows(
  ctx: BenchContext,
  name: string,
  workload: string,
  outcomes: Outcome[],
  extra: Record<string, unknown>,
): BenchRow[] {
  const pct = (pick: (o: Outcome) => SimResult) => summarize(outcomes.map((o) => pick(o).hitRatio * 100));
  const calls = (pick: (o: Outcome) => SimResult) => summarize(outcomes.map((o) => pick(o).originCalls));
  const first = outcomes[0] as Outcome;
  const describe = (r: SimResult) => ({
    hitRatioPercent: round(r.hitRatio * 100),
    originCalls: r.originCalls,
    missLoads: r.missLoads,
    warmLoads: r.warmLoads,
  });
  const gainShare = (o: Outcome) =>
    o.oracle.hitRatio > o.cacheAside.hitRatio
      ? (100 * (o.warmer.hitRatio - o.cacheAside.hitRatio)) / (o.oracle.hitRatio - o.cacheAside.hitRatio)
      : 0;
  const tuned = (o: OptimizerSimSettings) => ({
    everyMinutes: o.everyMinutes,
    topN: o.topN,
    minAccessFrequency: o.minAccessFrequency,
    expiringWithinSeconds: o.expiringWithinSeconds,
  });
  const params = {
    ...extra,
    ttlSeconds: TTL_SECONDS,
    staticTasks: STATIC_TASKS,
    staticTasksChosenAs: 'the most read keys of the first simulated hour (what an operator would register)',
    fixedIntervalMinutes: TTL_SECONDS / 60,
    warmerSettings:
      'shipped defaults: an empty config (optimizer windowMinutes 60, default interval rules; everyMinutes, topN, ' +
      'minAccessFrequency, expiringWithinSeconds self-tuned; maxExtraOriginCallsPercent 20) and the default ' +
      `per-origin rate limit (${DEFAULT_LIMITS.originRatePerSecond}/s)`,
    simulatedHours: round(first.cacheAside.simulatedSeconds / 3600, 3),
    reads: first.cacheAside.reads,
    shareOfPossibleGainPercent: roundSpread(summarize(outcomes.map(gainShare))),
    results: {
      cacheAside: describe(first.cacheAside),
      fixedInterval: describe(first.fixed),
      warmer: describe(first.warmer),
      oracle: describe(first.oracle),
      warmerTuned: { settings: tuned(TUNED_OPTIMIZER), ...describe(first.warmerTuned) },
      warmerOldDefaults: { settings: tuned(OLD_DEFAULT_OPTIMIZER), ...describe(first.warmerOldDefaults) },
    },
    originLatencySeconds: ORIGIN_LATENCY_SECONDS,
    alternatives: ALTERNATIVES_DESCRIPTION,
    simulation:
      `simulated time, TTL cache without capacity limit; every origin load takes ${ORIGIN_LATENCY_SECONDS * 1000} ms ` +
      '(reads of a key while it loads wait for that one load); every read counted as an access; misses load cache-aside; ' +
      'warmer = core/interval-policy.ts re-plans of the static tasks + the hot-key pass planned by ' +
      'core/warm-selection.ts (candidateQuery, planHotKeyWarming, isDueForWarm: the code findWarmCandidates runs); ' +
      `the warmer's loads wait for the worker's per-origin rate limit (${DEFAULT_LIMITS.originRatePerSecond}/s); ` +
      "oracle = reloads a key just before each read that would miss, except a key's first read",
  };
  const common = { temporalPersistence: ctx.persistence, params };
  return [
    makeRow({
      ...common,
      name,
      unit: '% hits',
      better: 'higher',
      baseline: 'cache-aside, no warming',
      value: pct((o) => o.warmer),
      baselineValue: pct((o) => o.cacheAside),
      workload: `${workload}; hit ratio, this warmer vs cache-aside`,
      target: { op: '>=', value: 1 },
    }),
    makeRow({
      ...common,
      name: `${name}-limit`,
      unit: '% hits',
      better: 'higher',
      baseline: 'cache-aside, no warming',
      value: pct((o) => o.oracle),
      baselineValue: pct((o) => o.cacheAside),
      workload:
        `${workload}; hit ratio of an oracle that reloads each key just before a read that would miss ` +
        "(every miss but a key's first read becomes a hit, at cache-aside's origin calls): the most any refresh policy can reach",
    }),
    makeRow({
      ...common,
      name: `${name}-vs-fixed`,
      unit: '% hits',
      better: 'higher',
      baseline: `fixed-interval warmer (seed): ${STATIC_TASKS} keys every ${TTL_SECONDS / 60} min`,
      value: pct((o) => o.warmer),
      baselineValue: pct((o) => o.fixed),
      workload: `${workload}; hit ratio, this warmer vs the seed's fixed-interval warming`,
      target: { op: '>=', value: 1 },
    }),
    makeRow({
      ...common,
      name: `${name}-origin-calls`,
      unit: 'calls',
      better: 'lower',
      baseline: 'cache-aside, no warming',
      value: calls((o) => o.warmer),
      baselineValue: calls((o) => o.cacheAside),
      workload: `${workload}; origin calls (misses + warms), this warmer vs cache-aside`,
      target: { op: '<=', value: 1.2 },
    }),
    makeRow({
      ...common,
      name: `${name}-origin-calls-vs-fixed`,
      unit: 'calls',
      better: 'lower',
      baseline: `fixed-interval warmer (seed): ${STATIC_TASKS} keys every ${TTL_SECONDS / 60} min`,
      value: calls((o) => o.warmer),
      baselineValue: calls((o) => o.fixed),
      workload: `${workload}; origin calls (misses + warms), this warmer vs the fixed-interval warmer`,
      target: { op: '<=', value: 1.2 },
    }),
    ...alternativeRows(
      common,
      name,
      workload,
      outcomes.map((o) => ({ warmer: o.warmer, cacheAside: o.cacheAside, ...o.alternatives })),
    ),
  ];
}

export interface HitRatioOptions {
  zipf: { keys: number; readsPerSecond: number; hours: number; seeds: number[] };
  oltp: { readsPerSecond: number; maxReads?: number };
}

export async function runHitRatio(ctx: BenchContext, options: HitRatioOptions): Promise<BenchRow[]> {
  const z = options.zipf;
  const sampler = new ZipfSampler(z.keys, 0.99);
  const settings = simSettings(z.readsPerSecond);
  const zipfReads = z.seeds.map((seed) =>
    sampler.draw(Math.round(z.readsPerSecond * 3600 * z.hours), mulberry32(seed)),
  );
  const zipfOutcomes = zipfReads.map((reads) => runPolicies(reads, z.keys, settings));
  const out = rows(
    ctx,
    'hit-ratio-zipf',
    `Zipf(0.99) over ${z.keys} keys, ${z.readsPerSecond} reads/s for ${z.hours} h`,
    zipfOutcomes,
    {
      zipf: { s: 0.99, keys: z.keys, readsPerSecond: z.readsPerSecond, hours: z.hours, seeds: z.seeds },
    },
  );

  out.push(
    ...runScenarios(ctx, {
      settings,
      warmer: {
        kind: 'warmer',
        keys: staticTasks(zipfReads[0] as Int32Array, z.keys, z.readsPerSecond),
        intervalMinutes: TTL_SECONDS / 60,
        optimizer: shippedOptimizer(),
      },
      reads: zipfReads[0] as Int32Array,
      keyCount: z.keys,
      readsPerSecond: z.readsPerSecond,
      workload: `Zipf(0.99) over ${z.keys} keys, ${z.readsPerSecond} reads/s for ${z.hours} h, seed ${z.seeds[0]}`,
    }),
  );

  const path = findOltpTrace(resolve(__dirname, '../../..'));
  if (!path) {
    ctx.log(
      'hit-ratio-oltp skipped: arc-OLTP.lis.zst not found (set BENCH_OLTP_TRACE or put shared/data beside the project)',
    );
    return out;
  }
  const trace = await loadOltpTrace(path);
  const reads = options.oltp.maxReads ? trace.reads.slice(0, options.oltp.maxReads) : trace.reads;
  const oltp = runPolicies(reads, trace.keyCount, simSettings(options.oltp.readsPerSecond));
  out.push(
    ...rows(
      ctx,
      'hit-ratio-oltp',
      `ARC OLTP trace (Megiddo & Modha, FAST '03), ${reads.length} reads of ${trace.keyCount} pages at ${options.oltp.readsPerSecond} reads/s`,
      [oltp],
      {
        trace: 'arc-OLTP.lis.zst: each block start..start+count-1 of a request read as page:<block>',
        citation:
          'Nimrod Megiddo and Dharmendra S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache," USENIX FAST \'03, pp. 115-130, 2003',
        traceRequests: trace.requests,
        readsPerSecond: options.oltp.readsPerSecond,
      },
    ),
  );
  return out;
}

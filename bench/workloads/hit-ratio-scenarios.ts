// Where a warmer should shine, replayed on the Zipf workload: a cold start (the cache flushed
// mid-run with usage counts kept, and a new region starting empty) timed until the hit ratio over
// a sliding window is back to 90 % of steady state; and a TTL wave (many keys loaded together,
// expiring together), with and without TTL jitter. Every policy at the same settings.
import { makeRow, type BenchRow } from '../bench-report';
import type { BenchContext } from '../bench-context';
import { simulate, type Policy, type SimResult, type SimSettings } from '../cache-sim';
import { hitRatioBetween, lowestHitRatio, peakCallsPerSecond, secondsToReach, type Timeline } from '../sim-timeline';
import { round, summarize } from '../stats';
import {
  CLIENT_REFRESH_SECONDS,
  GRACE_SECONDS,
  REFRESH_THRESHOLD_SECONDS,
  XFETCH_BETA,
} from './hit-ratio-alternatives';

/** The sliding window the recovery is measured over, in seconds (the shortest measurable recovery). */
export const RECOVERY_WINDOW_SECONDS = 30;
/** Share of steady state that counts as recovered. */
export const RECOVERED_SHARE = 0.9;
/** Keys bulk-loaded together in the TTL wave: the most read. */
export const WAVE_KEYS = 20_000;
/** TTL jitter tried in the wave: each TTL shortened by up to this share. */
export const WAVE_JITTER = 0.1;
/** Stretches the wave's peak and dip are measured over, in seconds. */
const PEAK_WINDOW_SECONDS = 10;
const DIP_WINDOW_SECONDS = 30;

export interface ScenarioOptions {
  settings: SimSettings;
  /** The warmer with shipped defaults. */
  warmer: Extract<Policy, { kind: 'warmer' }>;
  reads: Int32Array;
  keyCount: number;
  readsPerSecond: number;
  workload: string;
}

function policies(warmer: Extract<Policy, { kind: 'warmer' }>): Record<string, Policy> {
  return {
    cacheAside: { kind: 'cache-aside' },
    warmer,
    xfetch: { kind: 'xfetch', beta: XFETCH_BETA },
    staleWhileRevalidate: { kind: 'stale-while-revalidate', graceSeconds: GRACE_SECONDS },
    refreshThreshold: { kind: 'refresh-ahead', thresholdSeconds: REFRESH_THRESHOLD_SECONDS },
    warmerWithClientRefresh: { ...warmer, clientRefreshSeconds: CLIENT_REFRESH_SECONDS },
  };
}

interface Recovery {
  steadyPercent: number;
  /** Seconds until 90 % of its own steady state; null: not within the run. */
  seconds: number | null;
  /** Seconds until 90 % of cache-aside's steady state (one bar for every policy). */
  secondsToCacheAsideBar: number | null;
}

function recovery(
  timeline: Timeline,
  eventSecond: number,
  steadyFrom: number,
  steadyTo: number,
  bar: number,
): Recovery {
  const steady = hitRatioBetween(timeline, steadyFrom, steadyTo);
  return {
    steadyPercent: round(steady * 100),
    seconds: secondsToReach(timeline, eventSecond, RECOVERY_WINDOW_SECONDS, RECOVERED_SHARE * steady),
    secondsToCacheAsideBar: secondsToReach(timeline, eventSecond, RECOVERY_WINDOW_SECONDS, RECOVERED_SHARE * bar),
  };
}

export function runScenarios(ctx: BenchContext, options: ScenarioOptions): BenchRow[] {
  const { reads, keyCount, settings } = options;
  const seconds = Math.floor(reads.length / options.readsPerSecond);
  // Flush halfway (on the hour); steady state is the hour before it, for both events.
  const flushAt = Math.max(3600, Math.floor(seconds / 7200) * 3600);
  const steadyFrom = flushAt - 3600;
  const cold: Record<string, { flush: Recovery; newRegion: Recovery; result: SimResult }> = {};
  let bar = 0; // cache-aside's steady state, which runs first
  for (const [name, policy] of Object.entries(policies(options.warmer))) {
    const result = simulate(reads, keyCount, { ...settings, flushAtSeconds: flushAt, timeline: true }, policy);
    const timeline = result.timeline as Timeline;
    if (name === 'cacheAside') bar = hitRatioBetween(timeline, steadyFrom, flushAt);
    cold[name] = {
      flush: recovery(timeline, flushAt, steadyFrom, flushAt, bar),
      newRegion: recovery(timeline, 0, steadyFrom, flushAt, bar),
      result,
    };
  }
  const waveReads = reads.slice(0, Math.min(reads.length, options.readsPerSecond * 3600));
  const preloadKeys = Array.from({ length: Math.min(WAVE_KEYS, keyCount) }, (_, key) => key);
  const ttl = settings.ttlSeconds;
  const wave: Record<
    string,
    Record<string, { peakCallsPerSecond: number; lowestHitPercent: number; hitPercent: number }>
  > = {};
  for (const jitter of [0, WAVE_JITTER]) {
    const label = jitter === 0 ? 'noJitter' : `jitter${jitter * 100}pct`;
    wave[label] = {};
    for (const [name, policy] of Object.entries(policies(options.warmer))) {
      const result = simulate(
        waveReads,
        keyCount,
        { ...settings, preloadKeys, ttlJitter: jitter, timeline: true },
        policy,
      );
      const timeline = result.timeline as Timeline;
      // From a minute before the TTL to ten minutes after it: the wave and its first echo.
      const from = Math.round(ttl * (1 - jitter)) - 60;
      const to = Math.min(timeline.calls.length, ttl + 600);
      (wave[label] as Record<string, unknown>)[name] = {
        peakCallsPerSecond: round(peakCallsPerSecond(timeline, from, to, PEAK_WINDOW_SECONDS)),
        lowestHitPercent: round(lowestHitRatio(timeline, from, to, DIP_WINDOW_SECONDS) * 100),
        hitPercent: round(hitRatioBetween(timeline, from, to) * 100),
      };
    }
  }
  const common = {
    temporalPersistence: ctx.persistence,
    params: {
      flushAtSeconds: flushAt,
      steadyState: `hit ratio over seconds ${steadyFrom}-${flushAt} of the same run`,
      recoveredAt: `${RECOVERED_SHARE * 100} % of steady state over a sliding ${RECOVERY_WINDOW_SECONDS} s window wholly after the event (so ${RECOVERY_WINDOW_SECONDS} s is the floor)`,
      coldStart: Object.fromEntries(
        Object.entries(cold).map(([name, c]) => [
          name,
          { flush: c.flush, newRegion: c.newRegion, hitPercent: round(c.result.hitRatio * 100) },
        ]),
      ),
      wave: {
        preload: `the ${preloadKeys.length} most read keys loaded together at second 0, TTL ${ttl} s, then the first hour of reads`,
        jitter: `each TTL shortened by a uniform share up to ${WAVE_JITTER * 100} %`,
        measured: `seconds ${Math.round(ttl * (1 - WAVE_JITTER)) - 60}/${ttl - 60}-${ttl + 600}: peak origin calls/s over ${PEAK_WINDOW_SECONDS} s, lowest hit ratio over ${DIP_WINDOW_SECONDS} s`,
        results: wave,
      },
    },
  };
  const secondsOf = (r: Recovery) => summarize([r.seconds ?? seconds]);
  const waveOf = (label: string, policy: string) =>
    (wave[label] as Record<string, { peakCallsPerSecond: number; lowestHitPercent: number }>)[policy] as {
      peakCallsPerSecond: number;
      lowestHitPercent: number;
    };
  const jitterLabel = `jitter${WAVE_JITTER * 100}pct`;
  const c = (name: string) => cold[name] as (typeof cold)[string];
  return [
    makeRow({
      ...common,
      name: 'cold-start-seconds-to-90pct',
      unit: 's',
      better: 'lower',
      baseline: 'cache-aside, no warming',
      value: secondsOf(c('warmer').flush),
      baselineValue: secondsOf(c('cacheAside').flush),
      workload: `${options.workload}; every value flushed at ${flushAt} s (usage counts and schedules kept): seconds until the hit ratio is back to ${RECOVERED_SHARE * 100} % of steady state, this warmer vs cache-aside`,
      target: { op: '<=', value: 0.2 },
    }),
    makeRow({
      ...common,
      name: 'cold-start-new-region-seconds-to-90pct',
      unit: 's',
      better: 'lower',
      baseline: 'cache-aside, no warming',
      value: secondsOf(c('warmer').newRegion),
      baselineValue: secondsOf(c('cacheAside').newRegion),
      workload: `${options.workload}; a new region from second 0 (empty cache, no usage counts; the tasks warm on start): seconds until the hit ratio is ${RECOVERED_SHARE * 100} % of steady state, this warmer vs cache-aside`,
      target: { op: '<=', value: 0.2 },
    }),
    makeRow({
      ...common,
      name: 'ttl-wave-peak-origin-calls-per-second',
      unit: 'calls/s',
      better: 'lower',
      baseline: 'cache-aside, no warming',
      value: summarize([waveOf('noJitter', 'warmer').peakCallsPerSecond]),
      baselineValue: summarize([waveOf('noJitter', 'cacheAside').peakCallsPerSecond]),
      workload: `${options.workload}; ${preloadKeys.length} keys loaded together expire together: peak origin calls/s over ${PEAK_WINDOW_SECONDS} s around the expiry, this warmer vs cache-aside, no jitter`,
    }),
    makeRow({
      ...common,
      name: 'ttl-wave-lowest-hit-ratio',
      unit: '% hits',
      better: 'higher',
      baseline: 'cache-aside, no warming',
      value: summarize([waveOf('noJitter', 'warmer').lowestHitPercent]),
      baselineValue: summarize([waveOf('noJitter', 'cacheAside').lowestHitPercent]),
      workload: `${options.workload}; the same wave: lowest hit ratio over ${DIP_WINDOW_SECONDS} s, this warmer vs cache-aside, no jitter`,
    }),
    makeRow({
      ...common,
      name: 'ttl-wave-jitter-peak-origin-calls-per-second',
      unit: 'calls/s',
      better: 'lower',
      baseline: 'cache-aside without jitter',
      value: summarize([waveOf(jitterLabel, 'cacheAside').peakCallsPerSecond]),
      baselineValue: summarize([waveOf('noJitter', 'cacheAside').peakCallsPerSecond]),
      workload: `${options.workload}; the same wave with TTLs jittered by up to ${WAVE_JITTER * 100} %: peak origin calls/s, cache-aside with jitter vs without (every policy in params)`,
    }),
  ];
}

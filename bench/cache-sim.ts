// Simulated-time replay of a read workload against a TTL cache (no capacity limit, as Redis with
// TTLs and enough memory), under refresh policies, counting hits and origin calls:
//
// - cache-aside: no warming; a miss loads from the origin and stores the value with its TTL.
// - fixed-interval (the seed's warmer): a static set of registered keys warmed every N minutes
//   whatever their use, plus cache-aside for everything else.
// - warmer (this project): the same registered keys as adaptive tasks whose intervals the
//   optimiser re-plans from access frequency with core/interval-policy.ts, plus the optimiser's
//   hot-key pass, planned by core/warm-selection.ts exactly as the optimiser activity plans it
//   (the same candidates query, plan, due test and self-tuned cycle), plus cache-aside. Its loads
//   wait for the worker's per-origin rate limit. With `clientRefreshSeconds`, reads also go through
//   the product's cache client `getOrCompute` with `staleWhileRevalidateSeconds` set to it.
// - the read-path alternatives (read-path-refresh.ts): XFetch, stale-while-revalidate with a grace
//   window, and cache-manager's refreshThreshold, each refreshing from reads under the same
//   per-origin rate limit the warmer gets.
// - oracle: knows the future; reloads a key just before a read that would miss, so every miss but
//   a key's first read becomes a hit, at cache-aside's origin calls. The limit of any refresh policy.
//
// Every load takes `originLatencySeconds`: its value is stored when it returns, and reads of the key
// meanwhile wait for it (one load per key in flight, as getOrCompute's single flight does).
// Pure and deterministic: reads are integers (dense key ids), read i happens at i / readsPerSecond.
import type { IntervalRule } from '../core/config-schema';
import { accessFrequencyPerMinute, intervalForFrequency } from '../core/interval-policy';
import {
  candidateQuery,
  cycleMinutesForTtls,
  isDueForWarm,
  planHotKeyWarming,
  type HotKeyCandidate,
  type HotKeySettings,
} from '../core/warm-selection';
import { graceState, refreshAheadDue, StartWindow, xfetchRecomputesEarly } from './read-path-refresh';
import { emptyTimeline, type Timeline } from './sim-timeline';
import { mulberry32 } from './zipf';

export interface SimSettings {
  ttlSeconds: number;
  readsPerSecond: number;
  /** Seconds every origin load takes; a load started at t stores its value at t + this. @default 0 */
  originLatencySeconds?: number;
  /** Starts per second the read-path refreshes may make (the worker's per-origin limit); 0: none. @default 0 */
  refreshRatePerSecond?: number;
  /** Each stored value lives `ttlSeconds * (1 - ttlJitter * u)`, u uniform in [0, 1). @default 0 */
  ttlJitter?: number;
  /** Every value is deleted at this second; usage counts and schedules are kept. @default never */
  flushAtSeconds?: number;
  /** Keys loaded together just before the first read (a bulk preload). @default none */
  preloadKeys?: readonly number[];
  /** Seed of the jitter and XFetch draws. @default 1 */
  seed?: number;
  /** Record per-second reads, hits and origin calls. @default false */
  timeline?: boolean;
  /** Count each key's reads that were not fresh hits (to see which keys miss). @default false */
  missesByKey?: boolean;
}

/** The optimiser as configured: hot-key settings (absent fields self-tune) plus the interval policy. */
export interface OptimizerSimSettings extends HotKeySettings {
  rules: readonly IntervalRule[];
  coldIntervalMinutes: number;
  /** The worker's per-origin rate limit (every simulated key has one origin); 0 means none. */
  originRatePerSecond: number;
}

export type Policy =
  | { kind: 'cache-aside' }
  | { kind: 'oracle' }
  | { kind: 'fixed-interval'; keys: readonly number[]; intervalMinutes: number }
  | {
      kind: 'warmer';
      keys: readonly number[];
      intervalMinutes: number;
      optimizer: OptimizerSimSettings;
      /** The cache client's `staleWhileRevalidateSeconds` on every read; 0 or absent: off, as shipped. */
      clientRefreshSeconds?: number;
    }
  | { kind: 'xfetch'; beta: number }
  | { kind: 'stale-while-revalidate'; graceSeconds: number }
  | { kind: 'refresh-ahead'; thresholdSeconds: number };

/** The one origin of every simulated key. */
const SIM_ORIGIN = 'sim';

export interface SimResult {
  reads: number;
  /** Reads served a live value (fresh hits). */
  hits: number;
  hitRatio: number;
  /** Reads served an expired value within the grace window (stale-while-revalidate only). */
  staleHits: number;
  /** Every load from the origin: misses, warms, read-path refreshes and the preload. */
  originCalls: number;
  /** Loads started by a miss (reads that miss while the key loads wait for that load). */
  missLoads: number;
  warmLoads: number;
  /** Background loads started from reads (XFetch, grace, refresh threshold, the client's refresh). */
  refreshLoads: number;
  /** Read-path refreshes the per-origin rate limit did not let start. */
  refreshesDenied: number;
  preloadLoads: number;
  timeline?: Timeline;
  /** Reads of each key that were not fresh hits, with `missesByKey`. */
  missesByKey?: Int32Array;
  /** Simulated seconds the workload spans. */
  simulatedSeconds: number;
}

/** A binary min-heap of (time, task, version) entries; stale versions are skipped by the caller. */
class WarmQueue {
  private readonly times: number[] = [];
  private readonly tasks: number[] = [];
  private readonly versions: number[] = [];

  get size(): number {
    return this.times.length;
  }

  peekTime(): number {
    return this.times.length > 0 ? (this.times[0] as number) : Infinity;
  }

  push(time: number, task: number, version: number): void {
    this.times.push(time);
    this.tasks.push(task);
    this.versions.push(version);
    let i = this.times.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.times[parent] as number) <= time) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { time: number; task: number; version: number } {
    const top = { time: this.times[0] as number, task: this.tasks[0] as number, version: this.versions[0] as number };
    const last = this.times.length - 1;
    this.swap(0, last);
    this.times.pop();
    this.tasks.pop();
    this.versions.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.times.length && (this.times[left] as number) < (this.times[smallest] as number)) smallest = left;
      if (right < this.times.length && (this.times[right] as number) < (this.times[smallest] as number))
        smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  private swap(a: number, b: number): void {
    for (const list of [this.times, this.tasks, this.versions]) {
      const t = list[a] as number;
      list[a] = list[b] as number;
      list[b] = t;
    }
  }
}

/**
 * The optimiser's view of the window for one cycle, as the activity fetches it from the usage
 * store: the most read keys with at least `minReads` reads (most read first, ties by key id), at
 * most `limit`, each with the TTL its warm would set; and how many distinct keys were read.
 */
export function windowCandidates(
  windowCounts: Int32Array,
  query: { limit: number; minReads: number },
  ttlSeconds: number,
): HotKeyCandidate<number>[] {
  if (query.limit <= 0) return [];
  const keys: number[] = [];
  for (let key = 0; key < windowCounts.length; key++) {
    if ((windowCounts[key] as number) >= query.minReads) keys.push(key);
  }
  keys.sort((a, b) => (windowCounts[b] as number) - (windowCounts[a] as number) || a - b);
  return keys
    .slice(0, query.limit)
    .map((key) => ({ key, reads: windowCounts[key] as number, ttlSeconds, origin: SIM_ORIGIN }));
}

function checkSettings(settings: SimSettings): void {
  const { ttlSeconds, readsPerSecond } = settings;
  if (!(readsPerSecond > 0)) throw new RangeError('readsPerSecond must be positive');
  if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive');
  if (!((settings.originLatencySeconds ?? 0) >= 0)) throw new RangeError('originLatencySeconds must be >= 0');
  const jitter = settings.ttlJitter ?? 0;
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError('ttlJitter must be in [0, 1)');
}

export function simulate(reads: Int32Array, keyCount: number, settings: SimSettings, policy: Policy): SimResult {
  checkSettings(settings);
  const { ttlSeconds, readsPerSecond } = settings;
  const latency = settings.originLatencySeconds ?? 0;
  const jitter = settings.ttlJitter ?? 0;
  const random = mulberry32(settings.seed ?? 1);
  const expiresAt = new Float64Array(keyCount); // 0: never stored
  // 1 once the stored value has been hit (the metadata's `reads` > 0): reads that load it do not count.
  const readSinceStore = new Uint8Array(keyCount);
  // 1 while a load of the key is in flight or queued: another would only repeat it.
  const pending = new Uint8Array(keyCount);
  const completions = new WarmQueue(); // (time the load returns, key, 0)
  const timeline = settings.timeline ? emptyTimeline(reads.length / readsPerSecond + 1) : undefined;
  const missesByKey = settings.missesByKey ? new Int32Array(keyCount) : undefined;
  let hits = 0;
  let staleHits = 0;
  let missLoads = 0;
  let warmLoads = 0;
  let refreshLoads = 0;
  let refreshesDenied = 0;

  const tasks = policy.kind === 'fixed-interval' || policy.kind === 'warmer' ? [...policy.keys] : [];
  const taskOfKey = new Map<number, number>(tasks.map((key, i) => [key, i]));
  const intervalMin = new Float64Array(tasks.length).fill('intervalMinutes' in policy ? policy.intervalMinutes : 0);
  const lastWarm = new Float64Array(tasks.length);
  const version = new Int32Array(tasks.length);
  const queue = new WarmQueue();
  const optimizer = policy.kind === 'warmer' ? policy.optimizer : undefined;
  // The worker's loads queue for its per-origin rate limit; read-path refreshes start now or not at all.
  const workerWindow = new StartWindow(optimizer?.originRatePerSecond ?? 0);
  const refreshWindow = new StartWindow(settings.refreshRatePerSecond ?? 0);

  const store = (key: number, t: number) => {
    expiresAt[key] = t + (jitter > 0 ? ttlSeconds * (1 - jitter * random()) : ttlSeconds);
    readSinceStore[key] = 0;
  };
  const countCall = (t: number) => {
    if (timeline && t < timeline.calls.length)
      timeline.calls[Math.floor(t)] = (timeline.calls[Math.floor(t)] as number) + 1;
  };
  const startLoad = (key: number, startAt: number) => {
    pending[key] = 1;
    countCall(startAt);
    completions.push(startAt + latency, key, 0);
  };
  const complete = (t: number) => {
    while (completions.peekTime() <= t) {
      const done = completions.pop();
      pending[done.task] = 0;
      store(done.task, done.time);
    }
  };
  const warmKey = (key: number, t: number) => {
    if (pending[key] === 1) return;
    warmLoads++;
    startLoad(key, workerWindow.reserve(t));
  };
  const warmTask = (task: number, t: number) => {
    warmKey(tasks[task] as number, t);
    lastWarm[task] = t;
    version[task] = (version[task] as number) + 1;
    queue.push(t + (intervalMin[task] as number) * 60, task, version[task] as number);
  };
  const preloadKeys = settings.preloadKeys ?? [];
  for (const key of preloadKeys) {
    store(key, 0);
    countCall(0);
  }
  // Every task warms once when it starts (the task workflow warms on start).
  for (let task = 0; task < tasks.length; task++) warmTask(task, 0);

  const windowCounts = new Int32Array(keyCount);
  let distinctKeys = 0;
  const readsPerMinute = readsPerSecond * 60;
  // Every key has the same TTL and one pattern or task that loads it: the config's TTLs are that one.
  // Until a cycle has planned, the cycle comes from them, as readOptimizerSettings does.
  let cycleMinutes = optimizer ? (optimizer.everyMinutes ?? cycleMinutesForTtls([ttlSeconds])) : Infinity;
  let nextCycle = cycleMinutes * 60;
  let currentMinute = 0;

  const runCycle = (t: number) => {
    const o = optimizer as OptimizerSimSettings;
    // Re-plan adaptive intervals (setInterval semantics: next warm counts from the last warm).
    for (let task = 0; task < tasks.length; task++) {
      const f = accessFrequencyPerMinute(windowCounts[tasks[task] as number] as number, o.windowMinutes);
      const planned = intervalForFrequency(f, o.rules, o.coldIntervalMinutes);
      if (planned === intervalMin[task]) continue;
      intervalMin[task] = planned;
      version[task] = (version[task] as number) + 1;
      queue.push(Math.max(t, (lastWarm[task] as number) + planned * 60), task, version[task] as number);
    }
    // The hot-key pass, as findWarmCandidates runs it: fetch, plan, warm what is due.
    const plan = planHotKeyWarming({
      candidates: windowCandidates(windowCounts, candidateQuery(o, ttlSeconds), ttlSeconds),
      distinctKeys,
      settings: o,
      cycleMinutes,
      originRatePerSecond: () => o.originRatePerSecond,
      idleCycleMinutes: cycleMinutesForTtls([ttlSeconds]),
    });
    for (const planned of plan.keys) {
      if (pending[planned.key] === 1) continue;
      const stored = expiresAt[planned.key] as number;
      const left = stored - t;
      const read = stored > 0 ? readSinceStore[planned.key] === 1 : undefined;
      if (!isDueForWarm(planned, left > 0 ? Math.floor(left) : undefined, read)) continue;
      const task = taskOfKey.get(planned.key);
      if (task !== undefined) warmTask(task, t);
      else warmKey(planned.key, t);
    }
    // The next cycle follows the cadence in force; the plan's takes over after it (as in the workflow).
    nextCycle = t + cycleMinutes * 60;
    cycleMinutes = plan.everyMinutes;
  };

  const runDue = (t: number) => {
    for (;;) {
      const nextWarm = queue.peekTime();
      if (nextWarm > t && nextCycle > t) return;
      if (nextWarm <= nextCycle) {
        const due = queue.pop();
        complete(due.time);
        if (due.version === version[due.task]) warmTask(due.task, due.time);
      } else {
        complete(nextCycle);
        runCycle(nextCycle);
      }
    }
  };

  /** Whether a hit with `expiry` starts a background refresh under the policy. */
  const refreshesOnHit = (expiry: number, t: number): boolean => {
    switch (policy.kind) {
      case 'xfetch':
        return xfetchRecomputesEarly(t, expiry, latency, policy.beta, 1 - random());
      case 'refresh-ahead':
        return refreshAheadDue(expiry - t, policy.thresholdSeconds);
      case 'warmer':
        return refreshAheadDue(expiry - t, policy.clientRefreshSeconds ?? 0);
      default:
        return false;
    }
  };
  const refreshFromRead = (key: number, t: number) => {
    if (pending[key] === 1) return;
    if (!refreshWindow.tryStart(t)) {
      refreshesDenied++;
      return;
    }
    refreshLoads++;
    startLoad(key, t);
  };
  const grace = policy.kind === 'stale-while-revalidate' ? policy.graceSeconds : 0;
  let flushAt = settings.flushAtSeconds ?? Infinity;

  for (let i = 0; i < reads.length; i++) {
    const t = i / readsPerSecond;
    if (optimizer) {
      const minute = Math.floor(i / readsPerMinute);
      while (currentMinute < minute) {
        currentMinute++;
        // The minute leaving the window: windowMinutes buckets end with the current minute.
        const leaving = currentMinute - optimizer.windowMinutes;
        if (leaving >= 0) {
          const end = Math.min(i, Math.round((leaving + 1) * readsPerMinute));
          for (let j = Math.round(leaving * readsPerMinute); j < end; j++) {
            const count = (windowCounts[reads[j] as number] as number) - 1;
            windowCounts[reads[j] as number] = count;
            if (count === 0) distinctKeys--;
          }
        }
      }
    }
    if (t >= flushAt) {
      runDue(flushAt);
      complete(flushAt);
      expiresAt.fill(0);
      readSinceStore.fill(0);
      flushAt = Infinity;
    }
    runDue(t);
    complete(t);
    const key = reads[i] as number;
    const stored = expiresAt[key] as number;
    const second = Math.floor(t);
    if (timeline) timeline.reads[second] = (timeline.reads[second] as number) + 1;
    if (stored > t) {
      hits++;
      if (timeline) timeline.hits[second] = (timeline.hits[second] as number) + 1;
      readSinceStore[key] = 1;
      if (pending[key] === 0 && refreshesOnHit(stored, t)) refreshFromRead(key, t);
    } else if (policy.kind === 'oracle' && stored > 0) {
      // Reloaded just before this read: a hit, for the load cache-aside would have made now.
      hits++;
      if (timeline) timeline.hits[second] = (timeline.hits[second] as number) + 1;
      warmLoads++;
      countCall(t);
      store(key, t);
    } else {
      if (missesByKey) missesByKey[key] = (missesByKey[key] as number) + 1;
      if (grace > 0 && graceState(t, stored > 0 ? stored : undefined, grace) === 'stale') {
        staleHits++;
        refreshFromRead(key, t);
      } else if (pending[key] === 0) {
        missLoads++;
        startLoad(key, t);
      }
    }
    if (optimizer) {
      if (windowCounts[key] === 0) distinctKeys++;
      windowCounts[key] = (windowCounts[key] as number) + 1;
    }
  }
  return {
    reads: reads.length,
    hits,
    hitRatio: reads.length > 0 ? hits / reads.length : 0,
    staleHits,
    originCalls: missLoads + warmLoads + refreshLoads + preloadKeys.length,
    missLoads,
    warmLoads,
    refreshLoads,
    refreshesDenied,
    preloadLoads: preloadKeys.length,
    simulatedSeconds: reads.length / readsPerSecond,
    ...(timeline ? { timeline } : {}),
    ...(missesByKey ? { missesByKey } : {}),
  };
}

/** The `k` most read keys among the first `reads` reads (the operator's snapshot a static warmer is configured from). */
export function topKeysOfPrefix(trace: Int32Array, reads: number, keyCount: number, k: number): number[] {
  const counts = new Int32Array(keyCount);
  for (let i = 0; i < Math.min(reads, trace.length); i++)
    counts[trace[i] as number] = (counts[trace[i] as number] as number) + 1;
  return windowCandidates(counts, { limit: k, minReads: 1 }, 1).map((candidate) => candidate.key);
}

// Which hot keys the optimiser warms, how far ahead of expiry, and how often it looks: pure maths
// over read counts and TTLs, shared by the optimiser's activity and the hit-ratio simulation.
//
// The model: a key read `λ` times a second with a TTL of `T` seconds, under cache-aside, is loaded
// `λ / (1 + λT)` times a second (each load lives T, then the next read misses). Refreshing it just
// before every expiry loads it about `1 / T` times a second and turns every one of those misses
// into a hit. So a refresh is read before the next expiry with chance `1 - e^(-λT)`, and each extra
// origin call buys `λT` hits: keys are taken by that chance, highest first, until the extra calls
// reach the budget (a share of the calls cache-aside makes) or an origin's share of its rate limit.
// A budgeted key is refreshed only when its current value was read since it was written: a key read
// in a burst and then left alone costs one unread refresh, not one per TTL for the rest of the
// window; for steadily read keys this scales gain and cost alike, so `λT` stays the exchange rate.

/** Constants of self-tuning, documented in docs/configuration.md. */
export const SELF_TUNING = {
  /** Shortest self-tuned cycle, in minutes (usage is counted per minute). */
  minCycleMinutes: 1,
  /** Longest self-tuned cycle, in minutes (the optimiser's old fixed default). */
  maxCycleMinutes: 15,
  /** A self-tuned cycle is this share of the shortest TTL among the keys it warms. */
  cycleShareOfTtl: 0.1,
  /** Slack for a cycle that starts late or takes time: added to the cycle when planning leads. */
  leadMarginSeconds: 10,
  /** A key is warmed only when a refresh has at least this chance of being read before it expires. */
  minRereadChance: 0.2,
  /** Most read keys fetched per cycle when `topN` is not set. */
  maxCandidates: 20_000,
  /** Default of `maxExtraOriginCallsPercent`. */
  maxExtraOriginCallsPercent: 20,
  /**
   * Share of the budget the plan fills. The model reads the window's counts as steady Poisson
   * rates; real reads come in bursts and fade, so refreshes are read less often than planned (on
   * the bench's OLTP trace the extra calls ran about a quarter above plan). Planning at three
   * quarters keeps the measured extra within the budget.
   */
  budgetPlanningShare: 0.75,
  /** Share of an origin's `originRatePerSecond` that planned refreshes may use. */
  originRateShare: 0.5,
} as const;

/**
 * The optimiser settings that shape hot-key warming. Every field but `windowMinutes` is an
 * explicit override: absent means self-tuned.
 */
export interface HotKeySettings {
  /** Usage window the read counts cover, in minutes. */
  windowMinutes: number;
  /** Fixed cycle period in minutes; absent: from the TTLs of the keys warmed. */
  everyMinutes?: number;
  /** Fixed number of most read keys considered (and no budget unless `maxExtraOriginCallsPercent` is set). */
  topN?: number;
  /** Fixed floor in reads per minute; absent: `minRereadChance`. */
  minAccessFrequency?: number;
  /** Fixed lead: warm a key with this many seconds or less left; absent: per key, from its reads and TTL. */
  expiringWithinSeconds?: number;
  /** Extra origin calls warming may add, as a percentage of what cache-aside would make. Default 20. */
  maxExtraOriginCallsPercent?: number;
}

/** A key read in the window that the optimiser knows how to load. */
export interface HotKeyCandidate<K> {
  key: K;
  /** Reads in the window. */
  reads: number;
  /** TTL a warm gives the key (its task's or pattern's `ttlSeconds`). */
  ttlSeconds: number;
  /** The origin its loader calls, for per-origin limits (`http://host:port` or `custom:<name>`). */
  origin: string;
}

export interface WarmPlanInput<K> {
  /** Keys read in the window that can be warmed, most read first (as `candidateQuery` fetched them). */
  candidates: readonly HotKeyCandidate<K>[];
  /** Distinct keys read in the window, warmable or not (for the cache-aside baseline). */
  distinctKeys: number;
  settings: HotKeySettings;
  /** The cycle in force: minutes until the optimiser looks again. */
  cycleMinutes: number;
  /** An origin's rate limit per second; 0 or absent means none. */
  originRatePerSecond?: (origin: string) => number;
  /**
   * The self-tuned cycle when no candidate is worth warming (nothing is hot yet), in minutes. The
   * optimiser passes the one from its config's TTLs, so a key that turns hot is seen soon. Default 15.
   */
  idleCycleMinutes?: number;
}

export interface PlannedKey<K> {
  key: K;
  /** Warm the key when it has this many seconds or less left to live, or is missing. */
  leadSeconds: number;
  /** Warm it only when its current (or last) value was read since it was written. */
  onlyIfRead: boolean;
  /** Chance a refresh is read before it expires (`1 - e^(-λT)`). */
  rereadChance: number;
  readsPerMinute: number;
}

export interface WarmPlan<K> {
  /** Keys to keep warm, best first. */
  keys: PlannedKey<K>[];
  /**
   * The cycle to use from now on, in minutes: explicit `everyMinutes`, else from the TTLs of
   * `keys` (or of the eligible candidates when the budget took none), else `idleCycleMinutes`.
   */
  everyMinutes: number;
  /** Candidates that passed the floor (reads or reread chance). */
  eligible: number;
  budget: {
    /** Origin calls per minute cache-aside would make for the keys read in the window (an estimate). */
    baselineCallsPerMinute: number;
    /** Extra calls per minute the planned keys add over cache-aside (an estimate). */
    plannedExtraCallsPerMinute: number;
    /**
     * The extra calls per minute the plan may fill: `maxExtraOriginCallsPercent` of the baseline
     * times `budgetPlanningShare`; null when the count is fixed by `topN` alone.
     */
    maxExtraCallsPerMinute: number | null;
  };
}

/** `λT` at which the reread chance is `minRereadChance`: `-ln(1 - p)`. */
const FLOOR_RATIO = -Math.log(1 - SELF_TUNING.minRereadChance);

function checkSettings(settings: HotKeySettings): void {
  const positive = (name: keyof HotKeySettings, value: number | undefined, min: number) => {
    if (value !== undefined && !(Number.isFinite(value) && value >= min))
      throw new RangeError(`${name} must be a number >= ${min} (got ${value})`);
  };
  positive('windowMinutes', settings.windowMinutes, 1);
  positive('everyMinutes', settings.everyMinutes, 0.01);
  positive('topN', settings.topN, 0);
  positive('minAccessFrequency', settings.minAccessFrequency, 0);
  positive('expiringWithinSeconds', settings.expiringWithinSeconds, 0);
  positive('maxExtraOriginCallsPercent', settings.maxExtraOriginCallsPercent, 0);
}

/**
 * How many of the window's most read keys to fetch and the fewest reads worth fetching:
 * `topN` or `maxCandidates`; reads from `minAccessFrequency`, else the reads that give the
 * longest TTL a warm can set (`maxTtlSeconds`) the minimum reread chance.
 */
export function candidateQuery(settings: HotKeySettings, maxTtlSeconds: number): { limit: number; minReads: number } {
  checkSettings(settings);
  const limit = settings.topN ?? SELF_TUNING.maxCandidates;
  const windowSeconds = settings.windowMinutes * 60;
  const minReads =
    settings.minAccessFrequency !== undefined
      ? settings.minAccessFrequency * settings.windowMinutes
      : maxTtlSeconds > 0
        ? (FLOOR_RATIO * windowSeconds) / maxTtlSeconds
        : Infinity;
  return { limit, minReads: Math.max(1, Math.ceil(minReads - 1e-9)) };
}

/** The self-tuned cycle for keys with these TTLs: a tenth of the shortest, in whole minutes from 1 to 15. */
export function cycleMinutesForTtls(ttlSeconds: Iterable<number>): number {
  let shortest = Infinity;
  for (const ttl of ttlSeconds) if (ttl > 0 && ttl < shortest) shortest = ttl;
  if (shortest === Infinity) return SELF_TUNING.maxCycleMinutes;
  const minutes = Math.floor((shortest * SELF_TUNING.cycleShareOfTtl) / 60);
  return Math.min(SELF_TUNING.maxCycleMinutes, Math.max(SELF_TUNING.minCycleMinutes, minutes));
}

/** Seconds a key may have left and still be warmed by the critical pass: explicit, else until the next cycle. */
export function criticalLeadSeconds(settings: HotKeySettings, cycleMinutes: number): number {
  return settings.expiringWithinSeconds ?? cycleMinutes * 60 + SELF_TUNING.leadMarginSeconds;
}

/**
 * Whether a planned key is due now: missing (`remainingSeconds` undefined) or within its lead
 * (-1, no TTL, never is); and, for a key planned `onlyIfRead`, its value was read since it was
 * written (`readSinceWritten` false: not due; undefined, unknown: due).
 */
export function isDueForWarm(
  planned: Pick<PlannedKey<unknown>, 'leadSeconds' | 'onlyIfRead'>,
  remainingSeconds?: number,
  readSinceWritten?: boolean,
): boolean {
  const byTime = remainingSeconds === undefined || (remainingSeconds >= 0 && remainingSeconds <= planned.leadSeconds);
  return byTime && !(planned.onlyIfRead && readSinceWritten === false);
}

/**
 * The lead that balances refreshing early against refreshing late. With `e` seconds left and the
 * next look `horizon` seconds away, refreshing now costs `e / T` of a load (worth `μ` hits at the
 * budget's exchange rate); waiting risks a read in the gap (chance `q = 1 - e^(-λ(horizon - e))`),
 * which loses that hit and saves the `1/λ`-ish wait. Refresh now while `μe/T < q(1 - μ/λT)`.
 */
function balancedLeadSeconds(perSecond: number, ttlSeconds: number, mu: number, horizonSeconds: number): number {
  const ratio = perSecond * ttlSeconds;
  if (ratio <= mu) return 0;
  const gain = 1 - mu / ratio;
  const early = (lead: number) =>
    (mu * lead) / ttlSeconds - (1 - Math.exp(-perSecond * (horizonSeconds - lead))) * gain;
  let lo = 0;
  let hi = horizonSeconds;
  if (early(lo) >= 0) return 0;
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if (early(mid) < 0) lo = mid;
    else hi = mid;
  }
  return Math.round(lo * 10) / 10;
}

/**
 * Plans hot-key warming for one cycle: which candidates to keep warm and with what lead, and the
 * cycle to use from now on. Explicit settings win over self-tuning, field by field.
 */
export function planHotKeyWarming<K>(input: WarmPlanInput<K>): WarmPlan<K> {
  const { settings, candidates } = input;
  checkSettings(settings);
  if (!(Number.isFinite(input.cycleMinutes) && input.cycleMinutes > 0))
    throw new RangeError(`cycleMinutes must be a positive number (got ${input.cycleMinutes})`);
  if (!(Number.isInteger(input.distinctKeys) && input.distinctKeys >= 0))
    throw new RangeError(`distinctKeys must be an integer >= 0 (got ${input.distinctKeys})`);
  const windowSeconds = settings.windowMinutes * 60;
  const horizonSeconds = input.cycleMinutes * 60 + SELF_TUNING.leadMarginSeconds;
  const derivedLead = settings.expiringWithinSeconds === undefined;
  const budgeted = settings.topN === undefined || settings.maxExtraOriginCallsPercent !== undefined;
  const considered = settings.topN === undefined ? candidates : candidates.slice(0, settings.topN);

  // Cache-aside's calls: the candidates by the model, every other key read in the window once.
  let baseline = Math.max(0, input.distinctKeys - candidates.length) / windowSeconds;
  for (const candidate of candidates) {
    const perSecond = candidate.reads / windowSeconds;
    baseline += perSecond / (1 + perSecond * candidate.ttlSeconds);
  }
  const rows = considered.map((candidate, index) => {
    if (!(candidate.reads >= 0 && candidate.ttlSeconds > 0))
      throw new RangeError(`candidate ${index} needs reads >= 0 and ttlSeconds > 0`);
    const perSecond = candidate.reads / windowSeconds;
    const ratio = perSecond * candidate.ttlSeconds;
    return { candidate, index, perSecond, ratio, asideCalls: perSecond / (1 + ratio), extraCalls: 0, refreshCalls: 0 };
  });
  type Row = (typeof rows)[number];
  /**
   * A kept key's loads per second with refreshes `earlySeconds` early on average: a budgeted
   * key's life is followed by a refresh when it was read (chance q), else by a gap until the next
   * read loads it (mean 1/λ), so one load per life of mean q·T' + (1 - q)(T + 1/λ).
   */
  const cost = (row: Row, earlySeconds: number) => {
    const ttl = row.candidate.ttlSeconds;
    const refreshedLife = ttl - Math.min(earlySeconds, ttl / 2);
    const q = budgeted ? 1 - Math.exp(-row.perSecond * refreshedLife) : 1;
    const meanLife = q * refreshedLife + (row.perSecond > 0 ? (1 - q) * (ttl + 1 / row.perSecond) : 0);
    row.refreshCalls = 1 / meanLife;
    row.extraCalls = Math.max(0, row.refreshCalls - row.asideCalls);
  };

  const eligible = rows.filter(
    (row) =>
      (settings.minAccessFrequency !== undefined
        ? row.perSecond * 60 >= settings.minAccessFrequency - 1e-12
        : row.ratio >= FLOOR_RATIO) &&
      // A key that lives less than two self-tuned looks cannot be refreshed ahead by looking
      // (with an explicit everyMinutes, the user chose the looks: due keys are warmed at each).
      (!derivedLead || settings.everyMinutes !== undefined || row.candidate.ttlSeconds >= 2 * horizonSeconds),
  );
  // Best first: highest λT (reread chance), then most read, then as given.
  eligible.sort((a, b) => b.ratio - a.ratio || b.candidate.reads - a.candidate.reads || a.index - b.index);

  const percent = settings.maxExtraOriginCallsPercent ?? SELF_TUNING.maxExtraOriginCallsPercent;
  const maxExtra = budgeted ? (baseline * percent * SELF_TUNING.budgetPlanningShare) / 100 : Infinity;
  /** Greedy by exchange rate within the budget and each origin's room; `mu`: the best rate left out. */
  const choose = () => {
    const originRoom = new Map<string, number>();
    const roomOf = (origin: string) => {
      let room = originRoom.get(origin);
      if (room === undefined) {
        const rate = budgeted ? (input.originRatePerSecond?.(origin) ?? 0) : 0;
        room = rate > 0 ? rate * SELF_TUNING.originRateShare : Infinity;
        originRoom.set(origin, room);
      }
      return room;
    };
    // An origin's rate is a hard limit on how many keys it can keep warm, not a price on timing:
    // leads follow the budget's exchange rate only.
    let mu = FLOOR_RATIO;
    let extra = 0;
    const chosen: Row[] = [];
    for (const row of eligible) {
      const origin = row.candidate.origin;
      if (extra + row.extraCalls > maxExtra) {
        mu = Math.max(mu, row.ratio);
        continue;
      }
      if (row.refreshCalls > roomOf(origin)) continue;
      originRoom.set(origin, roomOf(origin) - row.refreshCalls);
      extra += row.extraCalls;
      chosen.push(row);
    }
    const leadOf = (row: Row) =>
      derivedLead
        ? balancedLeadSeconds(row.perSecond, row.candidate.ttlSeconds, mu, horizonSeconds)
        : (settings.expiringWithinSeconds as number);
    return { chosen, extra, leadOf };
  };
  // First with refreshes half a look early; then again with each key's own lead, which the
  // first pass's exchange rate sets (a key refreshed late costs less than one refreshed early).
  for (const row of eligible) cost(row, horizonSeconds / 2);
  let pass = choose();
  if (derivedLead) {
    const first = pass;
    for (const row of eligible) cost(row, first.leadOf(row) / 2);
    pass = choose();
  }
  const { chosen, extra, leadOf } = pass;

  const keys = chosen.map((row) => ({
    key: row.candidate.key,
    leadSeconds: leadOf(row),
    onlyIfRead: budgeted,
    rereadChance: 1 - Math.exp(-row.ratio),
    readsPerMinute: row.perSecond * 60,
  }));
  const sized = chosen.length > 0 ? chosen : eligible;
  const everyMinutes =
    settings.everyMinutes ??
    (sized.length > 0
      ? cycleMinutesForTtls(sized.map((row) => row.candidate.ttlSeconds))
      : (input.idleCycleMinutes ?? SELF_TUNING.maxCycleMinutes));
  return {
    keys,
    everyMinutes,
    eligible: eligible.length,
    budget: {
      baselineCallsPerMinute: baseline * 60,
      plannedExtraCallsPerMinute: extra * 60,
      maxExtraCallsPerMinute: budgeted ? maxExtra * 60 : null,
    },
  };
}

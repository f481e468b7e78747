// The run catalogue: what visibility listed of a deployment's task workflow runs at one call of
// `warmctl stats`, kept so the next call lists only the runs that started or closed since, not
// every open run again. Pure: the listing, the count that vouches for the result and the store
// are the caller's (client/history-stats.ts).

/** A task workflow run as visibility lists it. */
export interface ListedRun {
  workflowId: string;
  runId: string;
  /** History length visibility knows: exact for a closed run, stale for an open one. */
  historyLength: number;
  startMs: number;
  /** Null while the run is open. */
  closeMs: number | null;
}

/** The runs of one deployment's task queue (all of them, every instance's) as of one call. */
export interface RunCatalogue {
  taskQueue: string;
  /** When the listing it holds began, by the caller's clock. */
  asOfMs: number;
  /** When the runs were last listed in full (the catalogue's runs since updated from changes only). */
  fullListingMs: number;
  runs: ListedRun[];
}

/** Bumped when the stored shape changes: an older catalogue is listed again in full. */
const CATALOGUE_VERSION = 1;

/**
 * How far before a catalogue's time the next call lists changed runs again: covers visibility's
 * lag (a run started or closed just before the listing that it did not show yet) and the skew
 * between the caller's clock and the server's, up to this long together. Past it nothing is
 * wrong, only slower: a start missed makes the count differ (a full listing); a close missed leaves
 * the run open in the catalogue, so it is checked as an open run is (its warm mark, or one
 * describe, and its history read again when it grew) until the next full listing.
 */
export const CATALOGUE_OVERLAP_MS = 2 * 60_000;

/**
 * A catalogue older than this since its last full listing is listed in full again, so whatever the
 * count cannot see (a run deleted while another's start was missed) lasts at most this long.
 */
export const FULL_LISTING_EVERY_MS = 60 * 60_000;

/**
 * Past this many runs no catalogue is kept (one Redis string, about 90 bytes a run with short task
 * ids, so about 90 MB at most): every call lists in full, as without one.
 */
export const MAX_CATALOGUE_RUNS = 1_000_000;

/**
 * The stored text of the catalogue to keep, or null when it holds more than `maxRuns` runs: then
 * none is kept, and an older one must go too (else each call would list the runs changed since it
 * and count them, only to list in full anyway, until its hourly full listing is due).
 */
export function catalogueToKeep(catalogue: RunCatalogue, maxRuns = MAX_CATALOGUE_RUNS): string | null {
  return catalogue.runs.length <= maxRuns ? serializeRunCatalogue(catalogue) : null;
}

/** The stored text of a catalogue: one JSON array per run. */
export function serializeRunCatalogue(catalogue: RunCatalogue): string {
  return JSON.stringify({
    v: CATALOGUE_VERSION,
    taskQueue: catalogue.taskQueue,
    asOfMs: catalogue.asOfMs,
    fullListingMs: catalogue.fullListingMs,
    runs: catalogue.runs.map((run) => [run.workflowId, run.runId, run.startMs, run.closeMs, run.historyLength]),
  });
}

/** A stored catalogue of `taskQueue`, or undefined when there is none, it is another queue's, or it is not one. */
export function parseRunCatalogue(text: string | null, taskQueue: string): RunCatalogue | undefined {
  if (!text) return undefined;
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { v, taskQueue: queue, asOfMs, fullListingMs, runs } = stored as Record<string, unknown>;
  if (v !== CATALOGUE_VERSION || queue !== taskQueue || !isNatural(asOfMs) || !isNatural(fullListingMs))
    return undefined;
  if (!Array.isArray(runs)) return undefined;
  const parsed: ListedRun[] = [];
  for (const entry of runs as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 5) return undefined;
    const [workflowId, runId, startMs, closeMs, historyLength] = entry as unknown[];
    if (typeof workflowId !== 'string' || workflowId === '' || typeof runId !== 'string' || runId === '')
      return undefined;
    if (!isNatural(startMs) || (closeMs !== null && !isNatural(closeMs)) || !isNatural(historyLength)) return undefined;
    parsed.push({ workflowId, runId, startMs, closeMs, historyLength });
  }
  return { taskQueue, asOfMs, fullListingMs, runs: parsed };
}

/** A time in ms since the epoch, or a length: a safe integer, not negative. */
function isNatural(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The kept runs updated by the ones listed since: a listed run replaces the kept one of its id,
 * except that a run kept as closed stays closed (a listing that still shows it open is stale).
 */
export function mergeRuns(kept: readonly ListedRun[], listed: readonly ListedRun[]): ListedRun[] {
  const byId = new Map(kept.map((run) => [run.runId, run]));
  for (const run of listed) {
    const before = byId.get(run.runId);
    if (before && before.closeMs !== null && run.closeMs === null) continue;
    byId.set(run.runId, run);
  }
  return [...byId.values()];
}

/** The runs still inside the namespace's retention: open, or closed at or after `cutoffMs` (all, without one). */
export function retainedRuns(runs: readonly ListedRun[], cutoffMs: number | undefined): ListedRun[] {
  return cutoffMs === undefined ? [...runs] : runs.filter((run) => run.closeMs === null || run.closeMs >= cutoffMs);
}

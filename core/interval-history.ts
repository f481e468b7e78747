// A task's interval over time, replayed from the events of its workflow history: the start input,
// `applyTask` updates and `setInterval` re-plans. Pure, and mirrors what warmTaskWorkflow does
// with each event, so the chart shows the interval the workflow actually used.

/** The part of a task spec that decides its interval. */
export interface IntervalSpec {
  intervalMinutes: number;
  adaptive: boolean;
}

/** One interval-relevant event of a task workflow run, in history order. */
export type IntervalEvent =
  /** A run started: a new chain (no carried interval) or a continue-as-new carrying its interval. */
  | { kind: 'start'; atMs: number; spec: IntervalSpec; carriedIntervalMinutes?: number }
  /** An accepted `applyTask` update with its new spec. */
  | { kind: 'apply'; atMs: number; spec: IntervalSpec }
  /** A `setInterval` signal (adaptive re-plan). */
  | { kind: 'setInterval'; atMs: number; intervalMinutes: number; reason?: string };

/** The range warmTaskWorkflow accepts in a `setInterval` signal; others are dropped. */
const MIN_SET_INTERVAL_MINUTES = 0.01;
const MAX_SET_INTERVAL_MINUTES = 7 * 24 * 60;

export type IntervalCause = 'start' | 'continue' | 'apply' | 'setInterval';

/** The interval in effect from `atMs` on. */
export interface IntervalPoint {
  atMs: number;
  intervalMinutes: number;
  cause: IntervalCause;
  reason?: string;
}

/**
 * The points at which the task's interval took a new value. A point is emitted only when the
 * value changes (or for the first event seen). `applyTask` sets the interval when the configured
 * interval changed or adaptivity was turned off, as the workflow's handler does; `setInterval`
 * applies only while the task is adaptive and only with an interval the workflow accepts.
 */
export function intervalHistory(events: readonly IntervalEvent[]): IntervalPoint[] {
  const points: IntervalPoint[] = [];
  let spec: IntervalSpec | undefined;
  let current: number | undefined;
  const emit = (atMs: number, intervalMinutes: number, cause: IntervalCause, reason?: string) => {
    if (intervalMinutes === current) return;
    current = intervalMinutes;
    points.push({ atMs, intervalMinutes, cause, ...(reason ? { reason } : {}) });
  };
  for (const event of events) {
    if (event.kind === 'start') {
      spec = event.spec;
      if (event.carriedIntervalMinutes !== undefined) emit(event.atMs, event.carriedIntervalMinutes, 'continue');
      else {
        // A new chain (the task was re-created) always starts from its configured interval.
        current = undefined;
        emit(event.atMs, event.spec.intervalMinutes, 'start');
      }
    } else if (event.kind === 'apply') {
      const previous = spec;
      spec = event.spec;
      if (!previous || current === undefined) {
        emit(event.atMs, event.spec.intervalMinutes, 'apply');
        continue;
      }
      const configuredChanged = event.spec.intervalMinutes !== previous.intervalMinutes;
      if (configuredChanged || (previous.adaptive && !event.spec.adaptive))
        emit(event.atMs, event.spec.intervalMinutes, 'apply');
    } else {
      const valid =
        event.intervalMinutes >= MIN_SET_INTERVAL_MINUTES && event.intervalMinutes <= MAX_SET_INTERVAL_MINUTES;
      if (valid && spec?.adaptive) emit(event.atMs, event.intervalMinutes, 'setInterval', event.reason);
    }
  }
  return points;
}

/**
 * The points from `sinceMs` on: the value in effect at `sinceMs` (moved to `sinceMs`) followed by
 * the changes after it. Without `sinceMs`, the points unchanged.
 */
export function clipIntervalHistory(points: readonly IntervalPoint[], sinceMs?: number): IntervalPoint[] {
  if (sinceMs === undefined) return [...points];
  const before = points.filter((point) => point.atMs <= sinceMs);
  const after = points.filter((point) => point.atMs > sinceMs);
  const inEffect = before[before.length - 1];
  return inEffect ? [{ ...inEffect, atMs: sinceMs }, ...after] : after;
}

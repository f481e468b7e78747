// Warming counters on Temporal's metric meter, shared by every activity that writes warmed values.
import type { Context } from '@temporalio/activity';

/** `task`, `pattern`, `user`...: the kind of writer, a low-cardinality metric tag. */
function sourceKind(source: string): string {
  return source.split(':', 1)[0] || 'other';
}

/**
 * How a warm attempt ended: `joined` when another holder of the key's single-flight claim (a
 * reader, another worker) wrote it while this one waited; `shed` when a latency-bound load waited
 * for its origin past its deadline and was dropped.
 */
export type WarmOutcome = 'written' | 'superseded' | 'joined' | 'shed' | 'failed';

/** Warming counters on Temporal's metric meter, so they share the worker's Prometheus endpoint. */
export function recordWarmMetrics(
  context: Context,
  source: string,
  outcome: WarmOutcome,
  durationMs: number,
  sizeBytes = 0,
) {
  const meter = context.metricMeter.withTags({ source: sourceKind(source), outcome });
  meter.createCounter('cache_warm_attempts', 'attempts', 'Warm attempts by writer kind and outcome').add(1);
  meter
    .createHistogram('cache_warm_duration', 'int', 'ms', 'Load plus write time of warm attempts')
    .record(Math.max(0, Math.round(durationMs)));
  if (sizeBytes > 0) meter.createCounter('cache_warm_bytes', 'bytes', 'Bytes written to Redis by warms').add(sizeBytes);
}

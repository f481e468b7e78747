import { summarizePreloads, type PreloadRun } from '../../core/preload-stats';
import { summarizeLatencies } from '../../core/warm-stats';

const run = (
  latencyMs: number,
  status: PreloadRun['status'] = 'completed',
  failedSources: PreloadRun['failedSources'] = [],
) => ({
  workflowId: `preload-user:u:${latencyMs}`,
  userId: 'u',
  status,
  startedAtMs: 1_000,
  closedAtMs: 1_000 + latencyMs,
  latencyMs,
  failedSources,
});

test('latency summary uses nearest-rank percentiles over any order, and zeros for none', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  expect(summarizeLatencies(values)).toEqual({
    count: 100,
    avgMs: 50.5,
    p50Ms: 50,
    p95Ms: 95,
    p99Ms: 99,
    slowestMs: 100,
  });
  expect(summarizeLatencies([])).toEqual({ count: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, slowestMs: 0 });
});

test('counts completed preloads (a failed source still completes), their latency, and failures by source', () => {
  const stats = summarizePreloads([
    run(40),
    run(60, 'completed', ['navigation']),
    run(80, 'completed', ['navigation', 'forms']),
    run(600_000, 'timedOut'),
    run(5, 'terminated'),
  ]);
  expect(stats).toEqual({
    userPreloads: 3,
    preloadLatency: { count: 3, avgMs: 60, p50Ms: 60, p95Ms: 80, p99Ms: 80, slowestMs: 80 },
    preloadFailures: { preloads: 2, bySource: { session: 0, navigation: 2, forms: 1 }, unfinished: 2, shed: 0 },
  });
});

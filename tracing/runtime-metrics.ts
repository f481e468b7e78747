// Where Temporal's runtime sends its metrics (the SDK's and the warming counters on its meter):
// a Prometheus endpoint (WARMING_METRICS_ADDRESS) or an OTLP/HTTP collector (OTEL_METRICS_EXPORTER=otlp).
import type { RuntimeOptions } from '@temporalio/worker';
import type { TracingSettings } from '../config/tracing-settings';

type MetricsOptions = NonNullable<NonNullable<RuntimeOptions['telemetryOptions']>['metrics']>;

/**
 * The runtime's metrics exporter, or undefined for none. The runtime has one exporter, so both a
 * Prometheus address and OTLP metrics is an error naming both variables.
 */
export function runtimeMetricsOptions(
  settings: TracingSettings,
  prometheusAddress: string | undefined,
): MetricsOptions | undefined {
  if (settings.metrics && prometheusAddress !== undefined)
    throw new Error(
      'WARMING_METRICS_ADDRESS and OTEL_METRICS_EXPORTER=otlp both set: the worker exports its metrics one way, unset one',
    );
  if (prometheusAddress !== undefined) return { prometheus: { bindAddress: prometheusAddress } };
  if (!settings.metrics) return undefined;
  return {
    otel: {
      url: settings.metrics.url,
      http: true,
      headers: settings.metrics.headers,
      metricsExportInterval: settings.metrics.exportIntervalMs,
    },
    // OTEL_RESOURCE_ATTRIBUTES as tags on every metric, so they carry what the spans carry.
    globalTags: settings.resourceAttributes,
  };
}

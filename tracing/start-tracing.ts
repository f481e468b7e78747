// The process's OpenTelemetry trace pipeline (provider, OTLP/HTTP exporter, batch processor),
// started only when the OTEL_* settings ask for traces: otherwise nothing is loaded or installed.
import { context, propagation, ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from '../config/tracing-settings';

/** The running pipeline: what the worker's workflow span exporter needs, and how to flush it. */
export interface TracingHandle {
  /** The batch processor every span of this process goes through (the workflow sandbox's too). */
  readonly spanProcessor: SpanProcessor;
  /** `service.name` and OTEL_RESOURCE_ATTRIBUTES. */
  readonly resource: Resource;
  /**
   * True when this pipeline is the process's global tracer provider; false when the application had
   * registered its own first (its provider then gets the interceptors' and our spans).
   */
  readonly global: boolean;
  /** Sends the spans still buffered; resolves when the exporter answered. */
  forceFlush(): Promise<void>;
}

let running: { handle: TracingHandle; shutdown: () => Promise<void> } | undefined;

/**
 * Starts the trace pipeline once per process when `settings.traces` is set, else returns undefined
 * and loads nothing. A second call returns the running one (its settings win).
 * @param defaultServiceName `service.name` when OTEL_SERVICE_NAME is unset
 */
export async function startTracing(
  settings: TracingSettings,
  defaultServiceName: string,
): Promise<TracingHandle | undefined> {
  if (running) return running.handle;
  if (!settings.traces) return undefined;
  // Loaded here so that a process without tracing never loads the SDK.
  const [{ Resource }, { BatchSpanProcessor }, { NodeTracerProvider }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const meanwhile = runningTracing(); // started by a concurrent call while the SDK loaded
  if (meanwhile) return meanwhile;
  const resource = new Resource({
    ...settings.resourceAttributes,
    'service.name': settings.serviceName ?? settings.resourceAttributes['service.name'] ?? defaultServiceName,
  });
  const spanProcessor = new BatchSpanProcessor(
    new OTLPTraceExporter({ url: settings.traces.url, headers: settings.traces.headers }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const global =
    trace.getTracerProvider() instanceof ProxyTracerProvider
      ? (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() === provider
      : false;
  const handle: TracingHandle = { spanProcessor, resource, global, forceFlush: () => provider.forceFlush() };
  running = {
    handle,
    shutdown: async () => {
      await provider.shutdown();
      // Unregistered too, so that a later startTracing in this process (a test) installs afresh.
      if (global) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
  return handle;
}

/** The running pipeline, if `startTracing` started one. */
export function runningTracing(): TracingHandle | undefined {
  return running?.handle;
}

/** Flushes and stops the pipeline (at process exit); a no-op when none runs. */
export async function shutdownTracing(): Promise<void> {
  const stopping = running;
  if (!stopping) return;
  await stopping.shutdown();
  if (running === stopping) running = undefined;
}

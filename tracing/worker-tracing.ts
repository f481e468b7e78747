// What a worker with tracing on adds: the SDK's activity interceptors and workflow span exporter,
// spans around loads and cache writes, and the traced workflow bundle. With tracing off the worker
// calls none of it, and this module's SDK imports are never loaded.
import type { WorkerOptions } from '@temporalio/worker';
import type { LoaderSecurity } from '../core/loader-security';
import type { CacheStore } from '../store/cache-store';
import type { HttpLoaderClient } from '../activities/http-loader-client';
import type { LoaderRegistry } from '../activities/loaders';
import { DEFAULT_OTLP_ENDPOINT, readTracingSettings } from '../config/tracing-settings';
import { startTracing, type TracingHandle } from './start-tracing';

/** `service.name` of a worker when OTEL_SERVICE_NAME is unset. */
export const WORKER_SERVICE_NAME = 'cache-warming-worker';

/** The hooks `createWorker` applies when tracing is on. */
export interface WorkerTracing {
  readonly handle: TracingHandle;
  /** The store with a span per value write. */
  store(store: CacheStore): CacheStore;
  /** An HTTP loader client with a span per load. */
  httpClient(security: Partial<LoaderSecurity>): HttpLoaderClient;
  /** The named loaders with a span per call. */
  loaders(registry: LoaderRegistry | undefined): LoaderRegistry | undefined;
  /** `options` with the activity interceptors added to any given, and the workflow span exporter sink. */
  workerOptions(options: Partial<WorkerOptions> | undefined): Partial<WorkerOptions>;
  /** Sends buffered spans (at the worker's stop). */
  flush(): Promise<void>;
}

/**
 * The worker's tracing: `false`, off; `true`, on with the OTEL_* settings (OTLP to
 * http://localhost:4318 without an endpoint); undefined, on when the OTEL_* settings ask for traces.
 * Off returns undefined having loaded nothing.
 */
export async function workerTracing(
  option: boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkerTracing | undefined> {
  if (option === false) return undefined;
  const settings = readTracingSettings(env);
  if (option === undefined && !settings.traces) return undefined;
  const handle = await startTracing(
    {
      ...settings,
      traces: settings.traces ?? { url: `${DEFAULT_OTLP_ENDPOINT}/v1/traces`, headers: {} },
    },
    WORKER_SERVICE_NAME,
  );
  if (!handle) return undefined;
  const [otel, { tracedCacheStore }, { TracedHttpLoaderClient, tracedLoaderRegistry }] = await Promise.all([
    import('@temporalio/interceptors-opentelemetry'),
    import('./traced-cache-store'),
    import('./traced-loaders'),
  ]);
  return {
    handle,
    store: tracedCacheStore,
    httpClient: (security) => new TracedHttpLoaderClient(security),
    loaders: tracedLoaderRegistry,
    workerOptions(options = {}) {
      const given = options.interceptors ?? {};
      return {
        ...options,
        interceptors: {
          ...given,
          activity: [
            (ctx) => ({
              inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
              outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
            }),
            ...(given.activity ?? []),
          ],
        },
        sinks: { ...options.sinks, exporter: otel.makeWorkflowExporter(handle.spanProcessor, handle.resource) },
      };
    },
    flush: () => handle.forceFlush(),
  };
}

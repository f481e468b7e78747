// The client side of tracing: the SDK's client interceptor (a span per start, signal, update and
// query, its context sent in the call's headers so the worker's spans join the caller's trace), and
// the hook the warming client and warmctl call, which installs nothing while tracing is off.
import type { ClientInterceptors } from '@temporalio/client';
import { readTracingSettings } from '../config/tracing-settings';
import { startTracing } from './start-tracing';

/** `service.name` of a warming client (and warmctl's, see command-tracing.ts) when OTEL_SERVICE_NAME is unset. */
export const CLIENT_SERVICE_NAME = 'cache-warming-client';

/**
 * Interceptors for an auth service's own Temporal `Client`, so `notifyUserLoggedIn` and everything
 * it starts are one trace: `new Client({ connection, interceptors: await tracingClientInterceptors() })`.
 * Its spans go to the process's global tracer provider: the application's own OpenTelemetry SDK,
 * or the one `createWarmingClient` starts from the OTEL_* variables.
 */
export async function tracingClientInterceptors(): Promise<ClientInterceptors> {
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry/lib/client');
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

/**
 * What `createWarmingClient` gives its Client: with the OTEL_* variables asking for traces, the
 * process's trace pipeline started (once) and the interceptors; otherwise nothing, and nothing loaded.
 */
export async function clientTracing(
  env: NodeJS.ProcessEnv = process.env,
  serviceName = CLIENT_SERVICE_NAME,
): Promise<{ interceptors?: ClientInterceptors }> {
  const settings = readTracingSettings(env);
  if (!settings.traces) return {};
  await startTracing(settings, serviceName);
  return { interceptors: await tracingClientInterceptors() };
}

// One helper for this project's own spans (the SDK's interceptors make the Temporal ones), on the
// global tracer: with no provider registered it costs one no-op span object.
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The instrumentation scope of every span this project makes itself. */
export const TRACER_NAME = 'temporal-cache-warmer';

/**
 * Runs `fn` inside a new active span named `name`, ended when `fn` settles; a throw is recorded
 * on the span (status ERROR) and rethrown.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

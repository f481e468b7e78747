// Spans for each load from an origin: the HTTP loader's GET (with the trace context sent on as
// `traceparent`, so the origin's own spans join the trace) and each call of a named loader.
import { context, propagation, SpanKind } from '@opentelemetry/api';
import type { LoaderSecurity } from '../core/loader-security';
import { redact } from '../core/redact';
import { HttpLoaderClient, type HttpGetRequest } from '../activities/http-loader-client';
import type { CustomLoader, LoaderRegistry } from '../activities/loaders';
import { withSpan } from './with-span';

/** The worker's HTTP loader client with a client span per load (its wait for an origin slot and every redirect hop included). */
export class TracedHttpLoaderClient extends HttpLoaderClient {
  constructor(security: Partial<LoaderSecurity> = {}) {
    super(security);
  }

  override get(request: HttpGetRequest): Promise<Buffer> {
    const url = new URL(request.url);
    return withSpan(
      'GET',
      {
        'http.request.method': 'GET',
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'url.full': redact(url.href),
        'cache_warmer.load.priority': request.priority,
      },
      async (span) => {
        const headers: Record<string, string> = { ...request.headers };
        propagation.inject(context.active(), headers);
        const body = await super.get({ ...request, headers });
        span.setAttribute('http.response.body.size', body.length);
        return body;
      },
      SpanKind.CLIENT,
    );
  }
}

/** `registry` with each named loader's call in a span `load <name>` (the wait for its origin's slot is not in it). */
export function tracedLoaderRegistry(registry: LoaderRegistry | undefined): LoaderRegistry | undefined {
  if (!registry) return undefined;
  const traced: Record<string, CustomLoader> = {};
  for (const [name, loader] of Object.entries(registry)) {
    traced[name] = (args, loaderContext) =>
      withSpan(`load ${name}`, { 'cache_warmer.loader': name }, () => loader(args, loaderContext), SpanKind.CLIENT);
  }
  return traced;
}

// An in-process OTLP/HTTP receiver for tracing tests: takes the JSON trace exports the
// OpenTelemetry JS exporter sends (POST /v1/traces) and keeps every other export's raw body
// (Temporal's runtime pushes metrics as protobuf to /v1/metrics), so a test can read what arrived.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received span, flattened from OTLP JSON with its service's name. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  service: string;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:<port>`. */
  url: string;
  spans(): ReceivedSpan[];
  /** Raw bodies received at a path other than /v1/traces (metrics), by path. */
  bodies(path: string): Buffer[];
  /** Every request's path, in arrival order. */
  paths(): string[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }[];
    }[];
  }[];
}

function attributeMap(attributes: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (v !== undefined) out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Starts a receiver on 127.0.0.1 and a free port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const others = new Map<string, Buffer[]>();
  const paths: string[] = [];
  const server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    paths.push(path);
    const body = await readBody(request);
    if (path === '/v1/traces') {
      const type = request.headers['content-type'] ?? '';
      if (!type.includes('json')) {
        response.writeHead(415).end(`expected OTLP JSON, got ${type}`);
        return;
      }
      const traces = JSON.parse(body.toString('utf8')) as OtlpTraces;
      for (const resourceSpans of traces.resourceSpans ?? []) {
        const service = String(attributeMap(resourceSpans.resource?.attributes)['service.name'] ?? '');
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              service,
              attributes: attributeMap(span.attributes),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    others.set(path, [...(others.get(path) ?? []), body]);
    // An empty ExportMetricsServiceResponse, in the encoding asked for.
    response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    bodies: (path) => [...(others.get(path) ?? [])],
    paths: () => [...paths],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The names of `span`'s ancestors, nearest first (as far as the received spans reach). */
export function ancestorNames(spans: readonly ReceivedSpan[], span: ReceivedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names: string[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) {
    names.push(parent.name);
    if (names.length > 100) break;
  }
  return names;
}

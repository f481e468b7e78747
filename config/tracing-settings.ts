// The standard OpenTelemetry variables (OTEL_*), read once and checked, each error one line naming
// the variable. Nothing set means tracing and OTLP metrics are off and nothing is installed.
import { nonEmpty } from './env-values';

/** Where one signal is exported to: an OTLP/HTTP endpoint and the headers sent with every export. */
export interface OtlpExport {
  /** The full URL, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  /** OTEL_EXPORTER_OTLP_HEADERS, e.g. an API key for a vendor's collector. */
  headers: Record<string, string>;
}

/** What the OTEL_* variables ask for; `traces` and `metrics` absent when off. */
export interface TracingSettings {
  /** Spans by OTLP/HTTP (JSON): on with OTEL_TRACES_EXPORTER=otlp, or unset and an OTLP endpoint set. */
  traces?: OtlpExport;
  /** Temporal's runtime metrics (the warming counters too) by OTLP/HTTP: on only with OTEL_METRICS_EXPORTER=otlp. */
  metrics?: OtlpExport & { exportIntervalMs: number };
  /** OTEL_SERVICE_NAME; each process has its own default (`cache-warming-worker`, `warmctl`). */
  serviceName?: string;
  /** OTEL_RESOURCE_ATTRIBUTES: `key=value` pairs on every span and metric (e.g. `deployment.environment=prod`). */
  resourceAttributes: Record<string, string>;
}

/** Where the OTLP/HTTP exporters send without an endpoint set: a collector on this host. */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/** How often OTLP metrics are pushed without OTEL_METRICS_EXPORT_INTERVAL (the OpenTelemetry default), in ms. */
export const DEFAULT_METRICS_EXPORT_INTERVAL_MS = 60_000;

/** The settings of `env` (default `process.env`); throws one line naming the variable for a bad value. */
export function readTracingSettings(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  if (booleanVar(env, 'OTEL_SDK_DISABLED')) return { resourceAttributes: {} };
  const protocol = nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got "${protocol}"): ` +
        "this service exports by OTLP/HTTP, so point it at the collector's HTTP port (4318)",
    );
  }
  const base = endpointVar(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesEndpoint = endpointVar(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const metricsEndpoint = endpointVar(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const headers = keyValueList(env, 'OTEL_EXPORTER_OTLP_HEADERS');
  const tracesExporter = exporterVar(env, 'OTEL_TRACES_EXPORTER');
  const metricsExporter = exporterVar(env, 'OTEL_METRICS_EXPORTER');
  const signalUrl = (specific: string | undefined, path: string) =>
    specific ?? `${(base ?? DEFAULT_OTLP_ENDPOINT).replace(/\/+$/, '')}${path}`;
  const tracesOn =
    tracesExporter === 'otlp' || (tracesExporter === undefined && (base ?? tracesEndpoint) !== undefined);
  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME, 'OTEL_SERVICE_NAME');
  const exportIntervalMs = exportInterval(env);
  return {
    ...(tracesOn ? { traces: { url: signalUrl(tracesEndpoint, '/v1/traces'), headers } } : {}),
    ...(metricsExporter === 'otlp'
      ? {
          metrics: {
            url: signalUrl(metricsEndpoint, '/v1/metrics'),
            headers,
            exportIntervalMs,
          },
        }
      : {}),
    ...(serviceName !== undefined ? { serviceName } : {}),
    resourceAttributes: keyValueList(env, 'OTEL_RESOURCE_ATTRIBUTES'),
  };
}

function booleanVar(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${name} must be true or false (got "${env[name]}")`);
}

/** `otlp`, `none` (undefined: off) or unset; the other exporters OpenTelemetry names are not built in. */
function exporterVar(env: NodeJS.ProcessEnv, name: string): 'otlp' | 'none' | undefined {
  const value = nonEmpty(env[name], name)?.toLowerCase();
  if (value === undefined || value === 'otlp' || value === 'none') return value;
  throw new Error(`${name} must be otlp or none (got "${env[name]}")`);
}

function endpointVar(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = nonEmpty(env[name], name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an http:// or https:// URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${name} must be an http:// or https:// URL (got "${value}")`);
  return value;
}

function exportInterval(env: NodeJS.ProcessEnv): number {
  const raw = nonEmpty(env.OTEL_METRICS_EXPORT_INTERVAL, 'OTEL_METRICS_EXPORT_INTERVAL');
  if (raw === undefined) return DEFAULT_METRICS_EXPORT_INTERVAL_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 100 || ms > 86_400_000)
    throw new Error(`OTEL_METRICS_EXPORT_INTERVAL must be milliseconds from 100 to 86400000 (got "${raw}")`);
  return ms;
}

/** The W3C-baggage-like `key=value,key2=value2` lists of OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. */
function keyValueList(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
  const raw = env[name];
  const out: Record<string, string> = {};
  if (raw === undefined || raw.trim() === '') return out;
  raw.split(',').forEach((entry, i) => {
    const at = entry.indexOf('=');
    const key = at < 0 ? '' : entry.slice(0, at).trim();
    if (key === '' || !/^[\x21-\x7e]+$/.test(key))
      // The entry itself is not echoed: in OTEL_EXPORTER_OTLP_HEADERS it may be a secret.
      throw new Error(`${name} entry ${i + 1} must be key=value, keys printable ASCII without spaces`);
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      throw new Error(`${name} entry ${i + 1} (${key}) has a malformed percent-encoding`);
    }
    out[key] = value;
  });
  return out;
}

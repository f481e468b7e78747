// The OTEL_* variables: unset means off; each signal turns on as documented in docs/operations.md;
// every bad value is refused in one line naming the variable.
import { readTracingSettings } from '../../config/tracing-settings';
import { runtimeMetricsOptions } from '../../tracing/runtime-metrics';
import { workerTracing } from '../../tracing/worker-tracing';
import { clientTracing } from '../../tracing/client-tracing';

test('with no OTEL_* variables tracing and OTLP metrics are off, and the worker and client hooks install nothing', async () => {
  expect(readTracingSettings({})).toEqual({ resourceAttributes: {} });
  await expect(workerTracing(undefined, {})).resolves.toBeUndefined();
  await expect(clientTracing({})).resolves.toEqual({});
  expect(runtimeMetricsOptions(readTracingSettings({}), undefined)).toBeUndefined();
});

test('an OTLP endpoint turns traces on, to its /v1/traces; metrics only with OTEL_METRICS_EXPORTER=otlp', () => {
  const settings = readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
  expect(settings.traces).toEqual({ url: 'http://collector:4318/v1/traces', headers: {} });
  expect(settings.metrics).toBeUndefined();
  const both = readTracingSettings({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORT_INTERVAL: '1000',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=a%3Db,team=cache',
  });
  expect(both.metrics).toEqual({
    url: 'http://collector:4318/v1/metrics',
    headers: { 'x-api-key': 'a=b', team: 'cache' },
    exportIntervalMs: 1000,
  });
  expect(runtimeMetricsOptions(both, undefined)).toMatchObject({
    otel: { url: 'http://collector:4318/v1/metrics', http: true, metricsExportInterval: 1000 },
  });
});

test('signal endpoints are used as given; OTEL_TRACES_EXPORTER=otlp alone exports to localhost:4318; none turns it off', () => {
  expect(
    readTracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces',
    }).traces?.url,
  ).toBe('https://b/traces');
  expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).traces?.url).toBe('http://localhost:4318/v1/traces');
  expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a' }).traces).toBe(
    undefined,
  );
  expect(readTracingSettings({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).traces).toBeUndefined();
});

test('the service name and resource attributes are read, percent-decoded', () => {
  expect(
    readTracingSettings({
      OTEL_SERVICE_NAME: 'warmer-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=a%20b',
    }),
  ).toEqual({ serviceName: 'warmer-eu', resourceAttributes: { 'deployment.environment': 'prod', team: 'a b' } });
});

test.each([
  [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /^OTEL_TRACES_EXPORTER must be otlp or none/],
  [{ OTEL_METRICS_EXPORTER: 'prometheus' }, /^OTEL_METRICS_EXPORTER must be otlp or none/],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http/],
  [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' }, /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http/],
  [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /^OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json/],
  [{ OTEL_SDK_DISABLED: 'maybe' }, /^OTEL_SDK_DISABLED must be true or false/],
  [{ OTEL_SERVICE_NAME: ' ' }, /^OTEL_SERVICE_NAME is set but empty/],
  [{ OTEL_RESOURCE_ATTRIBUTES: 'a=1,novalue' }, /^OTEL_RESOURCE_ATTRIBUTES entry 2 must be key=value/],
  [{ OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' }, /^OTEL_RESOURCE_ATTRIBUTES entry 1 \(a\) has a malformed percent-encoding/],
  [{ OTEL_METRICS_EXPORT_INTERVAL: '5s' }, /^OTEL_METRICS_EXPORT_INTERVAL must be milliseconds/],
])('refuses %j in one line naming the variable', (env, message) => {
  expect(() => readTracingSettings(env)).toThrow(message);
  try {
    readTracingSettings(env);
  } catch (err) {
    expect((err as Error).message).not.toContain('\n');
  }
});

test('a header entry that is not key=value is refused without echoing it (it may be a secret)', () => {
  expect(() => readTracingSettings({ OTEL_EXPORTER_OTLP_HEADERS: 's3cr3t-token' })).toThrow(
    /^OTEL_EXPORTER_OTLP_HEADERS entry 1 must be key=value/,
  );
  expect(() => readTracingSettings({ OTEL_EXPORTER_OTLP_HEADERS: 's3cr3t-token' })).not.toThrow(/s3cr3t/);
});

test('the worker exports its metrics one way: Prometheus and OTLP together is refused naming both', () => {
  expect(() => runtimeMetricsOptions(readTracingSettings({ OTEL_METRICS_EXPORTER: 'otlp' }), '0.0.0.0:9464')).toThrow(
    /WARMING_METRICS_ADDRESS and OTEL_METRICS_EXPORTER=otlp/,
  );
  expect(runtimeMetricsOptions(readTracingSettings({}), '0.0.0.0:9464')).toEqual({
    prometheus: { bindAddress: '0.0.0.0:9464' },
  });
});

// `npm run worker` with the OTEL_* variables, as a real process (Temporal's runtime is process-wide):
// its warms' spans reach an OTLP/HTTP receiver under the worker's service name, flushed by its
// drain on SIGTERM, and with OTEL_METRICS_EXPORTER=otlp the runtime pushes the warming counters
// (cache_warm_attempts) to the same receiver.
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { stackEnv, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(90_000);

const stack = useTestStack({ worker: false });
const origin = useTestOrigin();
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await killWorkerProcesses();
  await receiver?.close();
});

test('the worker process exports its warm spans and pushes cache_warm_attempts by OTLP', async () => {
  const worker = startWorkerProcess({
    ...stackEnv(stack),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORT_INTERVAL: '500',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
  });
  await worker.polling();
  const taskId = uniqueName('otlp');
  origin.route(`/${taskId}`, () => ({ body: 'traced value' }));
  await stack.warming.apply({
    tasks: [
      { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
    ],
  });
  await waitFor('the key', async () => (await stack.redis.get(`${taskId}:v`)) === 'traced value');
  // Protobuf keeps metric names as plain UTF-8: the counter's name is in the pushed bytes.
  await waitFor(
    'cache_warm_attempts pushed to /v1/metrics',
    () => receiver.bodies('/v1/metrics').some((body) => body.includes('cache_warm_attempts')),
    { timeoutMs: 30_000 },
  );
  await worker.stop();
  expect(await worker.exited).toBe(0);
  // The drain flushed the batch: the warm's GET and write are there, from the worker's service.
  const spans = receiver.spans().filter((s) => s.service === 'cache-warming-worker');
  const load = spans.find((s) => s.name === 'GET' && String(s.attributes['url.full']).endsWith(`/${taskId}`));
  expect(load).toBeDefined();
  const write = spans.find((s) => s.name === 'cache write' && s.attributes['cache_warmer.key'] === `${taskId}:v`);
  expect(write?.traceId).toBe(load?.traceId);
  expect(spans.find((s) => s.spanId === write?.parentSpanId)?.name).toBe('RunActivity:warmKey');
});

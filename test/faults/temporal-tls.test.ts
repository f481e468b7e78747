// Temporal over TLS with an API key, configured only through Temporal's standard environment
// variables (read by @temporalio/envconfig): a real worker process and the warmctl binary reach
// the dev server through a TLS proxy that requires the key, and refuse to run without the CA.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGrpcTlsProxy, type GrpcTlsProxy } from '../helpers/grpc-tls-proxy';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { generateTestCertificates, type TestCertificates } from '../helpers/tls-certs';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const API_KEY = `key-${uniqueName('api')}`;
let certs: TestCertificates;
let proxy: GrpcTlsProxy;
const stack = useTestStack({ worker: false }); // for checking Redis and prefixes only
const origin = useTestOrigin();

beforeAll(async () => {
  certs = generateTestCertificates();
  proxy = await startGrpcTlsProxy({
    target: testServers().temporalAddress,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    requireAuthorization: `Bearer ${API_KEY}`,
  });
});

afterAll(async () => {
  await killWorkerProcesses();
  await proxy?.close();
  certs?.remove();
});

function temporalEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caFile,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_API_KEY: API_KEY,
    REDIS_URL: testServers().redisUrl,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    WARMING_PREFIX: stack.prefix,
    ...extra,
  };
}

test('a worker and warmctl connect with TLS and an API key from the environment, and warm', async () => {
  const worker = startWorkerProcess(temporalEnv());
  await worker.polling();
  const taskId = uniqueName('tls');
  origin.route(`/${taskId}`, () => ({ body: 'over tls' }));
  const file = join(certs.dir, `${taskId}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      tasks: [
        { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
      ],
    }),
  );
  const applied = await runWarmctlBinary(['apply', '-f', file], temporalEnv());
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  await waitFor('the warmed value', async () => (await stack.redis.get(`${taskId}:v`)) === 'over tls');
  // Both the worker's polls and warmctl's calls went through the TLS proxy, each with the key.
  const paths = proxy.calls.map((call) => call.path);
  expect(paths).toEqual(expect.arrayContaining([expect.stringMatching(/PollWorkflowTaskQueue$/)]));
  expect(paths).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/(Start|SignalWithStart|ExecuteMultiOperation|UpdateWorkflowExecution)/),
    ]),
  );
  expect(proxy.calls.every((call) => call.authorization === `Bearer ${API_KEY}`)).toBe(true);
  await worker.stop();
  expect(await worker.exited).toBe(0);
});

test('a worker without the CA refuses the server certificate and exits 1 with one line', async () => {
  const { TEMPORAL_TLS_SERVER_CA_CERT_PATH: _ca, ...withoutCa } = temporalEnv({ TEMPORAL_TLS: 'true' });
  const worker = startWorkerProcess(withoutCa);
  expect(await worker.exited).toBe(1);
  expect(worker.output().trim().split('\n')).toHaveLength(1);
  expect(worker.output()).toMatch(/^worker: .*InvalidCertificate\(UnknownIssuer\)/);
});

test('a wrong API key is refused: the worker exits 1 with one line that does not show the key', async () => {
  const wrong = 'wrong-key-123456';
  const worker = startWorkerProcess(temporalEnv({ TEMPORAL_API_KEY: wrong }));
  expect(await worker.exited).toBe(1);
  expect(worker.output().trim().split('\n')).toHaveLength(1);
  expect(worker.output()).toMatch(/^worker: .*valid authentication credentials.*missing API key/);
  expect(worker.output()).not.toContain(wrong);
});

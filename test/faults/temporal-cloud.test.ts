// Temporal frontends set up as Temporal Cloud is: TLS with a certificate for a name other than the
// address dialled, an API key or a client certificate, and operator calls refused. The built
// warmctl reaches them with the Temporal CLI's flags (each beating its environment variable), and
// `apply` copes with search attributes it may not list or create. A TLS proxy in front of the real
// dev server plays the frontend.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisKeys } from '../../store/redis-keys';
import { startGrpcTlsProxy, type GrpcTlsProxy } from '../helpers/grpc-tls-proxy';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { registerNamespace } from '../helpers/namespaces';
import { testServers, uniqueName } from '../helpers/test-env';
import { useTestStack } from '../helpers/use-test-stack';
import { generateTestCertificates, type TestCertificates } from '../helpers/tls-certs';

jest.setTimeout(60_000);

const SERVER_NAME = 'frontend.cw-test.internal';
const API_KEY = `key-${uniqueName('api')}`;
let certs: TestCertificates;
let keyed: GrpcTlsProxy; // API key, certificate for SERVER_NAME only
let mutual: GrpcTlsProxy; // client certificate, certificate for 127.0.0.1
let mutualCerts: TestCertificates;
const stack = useTestStack();

beforeAll(async () => {
  certs = generateTestCertificates({ serverNames: [SERVER_NAME] });
  const local = generateTestCertificates();
  const target = testServers().temporalAddress;
  keyed = await startGrpcTlsProxy({
    target,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    requireAuthorization: `Bearer ${API_KEY}`,
  });
  mutual = await startGrpcTlsProxy({
    target,
    certFile: local.certFile,
    keyFile: local.keyFile,
    clientCaFile: local.caFile,
  });
  mutualCerts = local;
});

afterAll(async () => {
  await keyed?.close();
  await mutual?.close();
  certs?.remove();
  mutualCerts?.remove();
});

/** warmctl with nothing about Temporal in its environment but what `env` adds. */
function warmctl(args: string[], env: Record<string, string> = {}) {
  return runWarmctlBinary(args, {
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    WARMING_PREFIX: stack.prefix,
    ...env,
  });
}

const listedThrough = (proxy: GrpcTlsProxy) =>
  proxy.calls.filter((call) => call.path.endsWith('/ListWorkflowExecutions')).length;

describe('TLS and API key flags', () => {
  test('--address, --api-key, --tls-ca-path and --tls-server-name reach the frontend; the key flag beats TEMPORAL_API_KEY', async () => {
    const flags = ['--address', keyed.address, '--tls-ca-path', certs.caFile, '--tls-server-name', SERVER_NAME];
    const before = listedThrough(keyed);
    const wrongInEnv = await warmctl(['tasks', '--json', ...flags], { TEMPORAL_API_KEY: 'wrong-key' });
    expect(wrongInEnv.code).toBe(1);
    expect(wrongInEnv.stderr).toMatch(/^warmctl: .*(missing API key|Failed to connect)/);
    expect(wrongInEnv.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrongInEnv.stderr).not.toContain('wrong-key');
    const result = await warmctl(['tasks', '--json', ...flags, '--api-key', API_KEY], {
      TEMPORAL_API_KEY: 'wrong-key',
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(listedThrough(keyed)).toBeGreaterThan(before);
  });

  test('--tls-ca-data takes the CA itself', async () => {
    const result = await warmctl([
      'tasks',
      '--address',
      keyed.address,
      '--api-key',
      API_KEY,
      '--tls-ca-data',
      readFileSync(certs.caFile, 'utf8'),
      '--tls-server-name',
      SERVER_NAME,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  test('--tls-disable-host-verification accepts a certificate for another name, but never one from an unknown CA', async () => {
    const base = ['tasks', '--address', keyed.address, '--api-key', API_KEY];
    const mismatch = await warmctl([...base, '--tls-ca-path', certs.caFile]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr.trim().split('\n')).toHaveLength(1);
    const skipped = await warmctl([...base, '--tls-ca-path', certs.caFile, '--tls-disable-host-verification']);
    expect(skipped).toMatchObject({ code: 0, stderr: '' });
    const unknownCa = await warmctl([...base, '--tls-disable-host-verification']);
    expect(unknownCa.code).toBe(1);
  });

  test('--tls-cert-path and --tls-key-path (or the -data forms) present a client certificate for mutual TLS', async () => {
    const base = ['tasks', '--address', mutual.address, '--tls-ca-path', mutualCerts.caFile];
    expect((await warmctl(base)).code).toBe(1);
    const byPath = await warmctl([
      ...base,
      '--tls-cert-path',
      mutualCerts.clientCertFile,
      '--tls-key-path',
      mutualCerts.clientKeyFile,
    ]);
    expect(byPath).toMatchObject({ code: 0, stderr: '' });
    const byData = await warmctl([
      ...base,
      '--tls-cert-data',
      readFileSync(mutualCerts.clientCertFile, 'utf8'),
      '--tls-key-data',
      readFileSync(mutualCerts.clientKeyFile, 'utf8'),
    ]);
    expect(byData).toMatchObject({ code: 0, stderr: '' });
  });

  test('--tls=false (or --no-tls) keeps TLS off where an API key would turn it on', async () => {
    const plain = { TEMPORAL_ADDRESS: testServers().temporalAddress, TEMPORAL_API_KEY: 'any' };
    expect((await warmctl(['tasks'], plain)).code).toBe(1); // TLS to a plain server
    expect(await warmctl(['tasks', '--tls=false'], plain)).toMatchObject({ code: 0, stderr: '' });
    expect(await warmctl(['--no-tls', 'tasks'], plain)).toMatchObject({ code: 0, stderr: '' });
  });

  test('a path and the data of the same file, or an unreadable path, exit 2 before connecting', async () => {
    const both = await warmctl(['tasks', '--tls-ca-path', certs.caFile, '--tls-ca-data', 'x']);
    expect(both).toMatchObject({ code: 2, stdout: '' });
    expect(both.stderr).toBe('warmctl: --tls-ca-path and --tls-ca-data exclude each other\n');
    const missing = await warmctl(['tasks', '--tls-cert-path', '/nonexistent/client.pem']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--tls-cert-path.*\/nonexistent\/client\.pem cannot be read \(ENOENT\)/);
  });
});

describe('search attributes apply may not create (Temporal Cloud)', () => {
  function config(name: string): string {
    const file = join(certs.dir, `${name}.json`);
    const taskId = uniqueName(name);
    writeFileSync(
      file,
      JSON.stringify({
        tasks: [
          { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: 'http://127.0.0.1:1/x' }, ttlSeconds: 60 },
        ],
      }),
    );
    return file;
  }
  const viaKeyed = (namespace = 'default') => [
    '--address',
    keyed.address,
    '--api-key',
    API_KEY,
    '--tls-ca-path',
    certs.caFile,
    '--tls-server-name',
    SERVER_NAME,
    '--namespace',
    namespace,
  ];

  afterEach(() => {
    keyed.refuse = [];
  });

  test('attributes that already exist are not created again, so a refusal to create them does not matter', async () => {
    keyed.refuse = [{ path: /AddSearchAttributes$/, status: 7, message: 'operator API not allowed' }];
    const callsBefore = keyed.calls.length;
    const result = await warmctl(['apply', '-f', config('exists'), '--json', ...viaKeyed()]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 1 });
    expect(keyed.calls.slice(callsBefore).some((call) => call.path.endsWith('/AddSearchAttributes'))).toBe(false);
  });

  test('attributes that may not be listed are assumed to exist: one warning, and apply goes on', async () => {
    keyed.refuse = [{ path: /(List|Add)SearchAttributes$/, status: 7, message: 'operator API not allowed' }];
    const result = await warmctl(['apply', '-f', config('unlisted'), '--json', ...viaKeyed()]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 1 });
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^warmctl: warning: cannot list the search attributes of namespace default \(PERMISSION_DENIED: operator API not allowed\); assuming WarmTaskId=Keyword, .*WarmTags=KeywordList, WarmBatches=KeywordList exist\n$/,
    );
  });

  test('missing attributes that may not be created fail apply in one line naming each, and nothing is applied', async () => {
    const namespace = await registerNamespace(uniqueName('cw-ns'));
    keyed.refuse = [{ path: /AddSearchAttributes$/, status: 7, message: 'operator API not allowed' }];
    const file = config('missing');
    const callsBefore = keyed.calls.length;
    const prefix = `${uniqueName('ns')}:`;
    const result = await warmctl(['apply', '-f', file, '--prefix', prefix, ...viaKeyed(namespace)]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^warmctl: namespace ${namespace} lacks the search attributes WarmTaskId=Keyword, WarmCacheKey=Keyword, ` +
          'WarmCritical=Bool, WarmPriority=Int, WarmTags=KeywordList, WarmBatches=KeywordList and these credentials may not create them ' +
          '\\(PERMISSION_DENIED: operator API not allowed\\): create them first',
      ),
    );
    const calls = keyed.calls.slice(callsBefore).map((call) => call.path);
    expect(calls).toContainEqual(expect.stringMatching(/AddSearchAttributes$/));
    expect(calls.filter((path) => /(Start|SignalWithStart)WorkflowExecution$/.test(path))).toEqual([]);
    expect(await stack.redis.exists(redisKeys(prefix).config())).toBe(0);
  });
});

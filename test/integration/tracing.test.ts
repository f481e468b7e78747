// OpenTelemetry tracing end to end, through an in-process OTLP/HTTP receiver: one login is one
// trace from notifyUserLoggedIn to the preload's loads and Redis writes, one forced warm one trace
// from `warmctl warm` to the warm's GET and write; with no OTEL_* variables nothing is installed.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { IncomingHttpHeaders } from 'node:http';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { runWarmctl } from '../../cli/warmctl';
import { tracingClientInterceptors } from '../../tracing/client-tracing';
import { runningTracing, shutdownTracing } from '../../tracing/start-tracing';
import { createWorker, type WarmingWorker } from '../../worker/create-worker';
import { buildWorkflowBundle } from '../../worker/workflow-bundle';
import { ancestorNames, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';
import { httpUserPreload } from '../helpers/user-preload-config';

jest.setTimeout(120_000);

const stack = useTestStack({ worker: false });
const seenHeaders: IncomingHttpHeaders[] = [];
const origin = useTestOrigin();
const ns = uniqueName('otel');
const OTEL_VARS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_TRACES_EXPORTER', 'OTEL_SDK_DISABLED'];
const savedEnv = Object.fromEntries(OTEL_VARS.map((name) => [name, process.env[name]]));

beforeAll(() => {
  for (const name of OTEL_VARS) delete process.env[name];
  const reply = (body: string) => (request: { headers: IncomingHttpHeaders }) => {
    seenHeaders.push(request.headers);
    return { body };
  };
  origin.routeUnder('/users/', reply('{"user":true}'));
  origin.route(
    `/users/${ns}-ann/forms`,
    reply(
      JSON.stringify([
        { id: `${ns}-f1`, updatedAt: '2026-01-02T00:00:00Z' },
        { id: `${ns}-f2`, updatedAt: '2026-01-01T00:00:00Z' },
      ]),
    ),
  );
  origin.routeUnder('/forms/', reply('{"form":true}'));
  origin.route('/products', reply('["p1","p2"]'));
});

afterAll(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const quiet = () => undefined;
const quietBundler = { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: console.warn, error: console.error };

async function runWorker(worker: WarmingWorker): Promise<() => Promise<void>> {
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running;
  };
}

async function nativeConnection(): Promise<NativeConnection> {
  return NativeConnection.connect({ address: testServers().temporalAddress });
}

test('with no OTEL_* variables a worker and a warming client install nothing', async () => {
  const connection = await nativeConnection();
  const worker = await createWorker({
    connection,
    taskQueue: stack.taskQueue,
    redis: stack.redis,
    prefix: stack.prefix,
    workflowBundle: { codePath: testServers().workflowBundlePath },
    shutdownGraceTime: '5s',
  });
  const stop = await runWorker(worker);
  try {
    expect(worker.traced).toBe(false);
    await stack.warming.apply({
      tasks: [
        {
          taskId: `${ns}-quiet`,
          name: 'untraced',
          cacheKey: `${ns}:quiet`,
          loader: { type: 'http', url: `${origin.url}/products` },
          ttlSeconds: 600,
        },
      ],
    });
    expect((await stack.warming.warm(`${ns}-quiet`))?.ok).toBe(true);
    expect(runningTracing()).toBeUndefined();
    // No trace context went to the origin either: nothing made a span.
    expect(seenHeaders.some((headers) => headers.traceparent !== undefined)).toBe(false);
  } finally {
    await stop();
    await connection.close();
  }
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  let receiver: OtlpReceiver;
  let worker: WarmingWorker;
  let stop: () => Promise<void>;
  let connection: NativeConnection;
  let clientConnection: Connection;
  let client: Client;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_SERVICE_NAME = 'tracing-test';
    connection = await nativeConnection();
    worker = await createWorker({
      connection,
      taskQueue: stack.taskQueue,
      redis: stack.redis,
      prefix: stack.prefix,
      // What dist/workflow-bundle-traced.js holds, bundled from source.
      workflowBundle: await buildWorkflowBundle(quietBundler, true),
      shutdownGraceTime: '5s',
    });
    stop = await runWorker(worker);
    clientConnection = await Connection.connect({ address: testServers().temporalAddress });
    client = new Client({ connection: clientConnection, interceptors: await tracingClientInterceptors() });
  });

  afterAll(async () => {
    await stop?.();
    await connection?.close();
    await clientConnection?.close();
    await shutdownTracing();
    await receiver?.close();
  });

  /** The spans of the trace `root` (found by name and filter) begins, once `ready` holds for them. */
  async function traceOf(
    rootName: string,
    ready: (spans: ReceivedSpan[]) => boolean,
  ): Promise<{ root: ReceivedSpan; spans: ReceivedSpan[] }> {
    return waitFor(
      `the trace of ${rootName}`,
      async () => {
        await runningTracing()?.forceFlush();
        const all = receiver.spans();
        const roots = all.filter((s) => s.name === rootName && s.parentSpanId === '');
        for (const root of roots) {
          const spans = all.filter((s) => s.traceId === root.traceId);
          if (ready(spans)) return { root, spans };
        }
        return undefined;
      },
      { timeoutMs: 30_000 },
    );
  }

  /** `names` appear among `span`'s ancestors in this order (others may sit between them). */
  function expectAncestry(spans: ReceivedSpan[], span: ReceivedSpan, names: string[]): void {
    const ancestors = ancestorNames(spans, span);
    const positions = names.map((name) => ancestors.indexOf(name));
    expect({ span: span.name, ancestors }).toEqual({ span: span.name, ancestors: expect.arrayContaining(names) });
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  }

  test('the worker traces: the SDK interceptors and the traced bundle are installed', () => {
    expect(worker.traced).toBe(true);
    expect(runningTracing()?.global).toBe(true);
  });

  test('one login is one trace: notifyUserLoggedIn, the shard, the preload child, each source load and the Redis write', async () => {
    await stack.warming.apply({
      tasks: [],
      userPreload: httpUserPreload(origin.url, ns, { ttlSeconds: 1800, withForms: true }),
    });
    const userId = `${ns}-ann`;
    const notice = await notifyUserLoggedIn(client, userId, {
      taskQueue: stack.taskQueue,
      waitForPreload: { timeoutMs: 30_000 },
    });
    expect(notice.outcome).toBe('preloaded');

    const { root, spans } = await traceOf(
      'notifyUserLoggedIn',
      (found) => found.filter((s) => s.name === 'GET').length >= 5 && found.some((s) => s.name === 'cache write'),
    );
    expect(root.service).toBe('tracing-test');
    const loads = spans.filter((s) => s.name === 'GET');
    // Session, navigation, the forms list and each of the two forms.
    expect(loads.map((s) => new URL(String(s.attributes['url.full'])).pathname).sort()).toEqual(
      [
        `/forms/${ns}-f1`,
        `/forms/${ns}-f2`,
        `/users/${userId}/forms`,
        `/users/${userId}/navigation`,
        `/users/${userId}/session`,
      ].sort(),
    );
    const chain = [
      'RunActivity:preloadUser',
      'StartActivity:preloadUser',
      'RunWorkflow:preloadUserWorkflow',
      'StartChildWorkflow:preloadUserWorkflow',
      'HandleSignal:userLoggedIn',
      'SignalWithStartWorkflow:userLoginsWorkflow',
      'notifyUserLoggedIn',
    ];
    for (const load of loads) expectAncestry(spans, load, chain);
    const writes = spans.filter((s) => s.name === 'cache write');
    for (const write of writes) expectAncestry(spans, write, chain);
    expect(writes.reduce((n, s) => n + Number(s.attributes['cache_warmer.keys']), 0)).toBe(4);
    // The origin was told the trace: its own spans can join it.
    expect(seenHeaders.some((h) => String(h.traceparent).includes(root.traceId))).toBe(true);
  });

  test('one forced warm is one trace: warmctl warm, the update, the warm, its origin GET and Redis write', async () => {
    const taskId = `${ns}-catalog`;
    await stack.warming.apply({
      tasks: [
        {
          taskId,
          name: 'traced',
          cacheKey: `${ns}:catalog`,
          loader: { type: 'http', url: `${origin.url}/products` },
          ttlSeconds: 600,
          intervalMinutes: 600,
        },
      ],
    });
    const servers = testServers();
    const argv = ['warm', taskId, '--address', servers.temporalAddress, '--task-queue', stack.taskQueue];
    const code = await runWarmctl([...argv, '--redis-url', servers.redisUrl, '--prefix', stack.prefix]);
    expect(code).toBe(0);

    const { spans } = await traceOf(
      'warmctl warm',
      (found) => found.some((s) => s.name === 'GET') && found.some((s) => s.name === 'cache write'),
    );
    const chain = [
      'RunActivity:warmKey',
      'StartActivity:warmKey',
      'HandleUpdate:warmNow',
      'StartWorkflowUpdate:warmNow',
      'warmctl warm',
    ];
    const [load] = spans.filter((s) => s.name === 'GET');
    expect(new URL(String(load?.attributes['url.full'])).pathname).toBe('/products');
    expectAncestry(spans, load as ReceivedSpan, chain);
    const [write] = spans.filter((s) => s.name === 'cache write');
    expect(write?.attributes['cache_warmer.key']).toBe(`${ns}:catalog`);
    expectAncestry(spans, write as ReceivedSpan, chain);
  });
});

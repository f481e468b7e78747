// The warming client's options are resolved once, and every documented option reaches the code
// that uses it (`applyConcurrency` was once documented and silently dropped on the way).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createWarmingClient } from '../../client/warming-client';
import {
  resolveWarmingClientOptions,
  WARMING_CLIENT_DEFAULTS,
  type WarmingClientOptions,
} from '../../client/warming-client-options';

/** The option names the interface documents, read from its source. */
function documentedOptions(): string[] {
  const source = readFileSync(resolve(__dirname, '../../client/warming-client-options.ts'), 'utf8');
  const body = source.slice(source.indexOf('export interface WarmingClientOptions {'));
  const block = body.slice(0, body.indexOf('\n}\n'));
  return [...block.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1] as string);
}

const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
afterAll(() => redis.disconnect());
const fakeTemporal = { workflow: {} } as unknown as Client;
const logger = { warn: () => undefined };

/** One value per documented option, each distinct from its default. */
const given: Required<WarmingClientOptions> = {
  client: fakeTemporal,
  taskQueue: 'queue-from-options',
  redis,
  prefix: 'opt:',
  workerTimeoutMs: 1_234,
  concurrency: 3,
  applyConcurrency: 7,
  instance: 'instance-from-options',
  optimizerWorkflowId: 'optimizer-from-options',
  env: { TEMPORAL_TASK_QUEUE: 'queue-from-env' },
  logger,
};

test('every documented option has a value in this test (a new one must be added here)', () => {
  expect(documentedOptions().sort()).toEqual(Object.keys(given).sort());
});

test('every documented option reaches the client it builds', async () => {
  const client = await createWarmingClient(given);
  expect({
    temporal: client.temporal,
    redis: client.redis,
    taskQueue: client.taskQueue,
    prefix: client.keys.prefix,
    instance: client.instance,
    optimizerWorkflowId: client.optimizerWorkflowId,
    workerTimeoutMs: client.workerTimeoutMs,
    concurrency: client.concurrency,
    applyConcurrency: client.applyConcurrency,
  }).toEqual({
    temporal: fakeTemporal,
    redis,
    taskQueue: 'queue-from-options',
    prefix: 'opt:',
    instance: 'instance-from-options',
    optimizerWorkflowId: 'optimizer-from-options',
    workerTimeoutMs: 1_234,
    concurrency: 3,
    applyConcurrency: 7,
  });
  // env decides what the options leave out.
  const fromEnv = await createWarmingClient({ client: fakeTemporal, redis, env: given.env });
  expect(fromEnv.taskQueue).toBe('queue-from-env');
  expect([fromEnv.workerTimeoutMs, fromEnv.concurrency, fromEnv.applyConcurrency]).toEqual([
    WARMING_CLIENT_DEFAULTS.workerTimeoutMs,
    WARMING_CLIENT_DEFAULTS.concurrency,
    WARMING_CLIENT_DEFAULTS.applyConcurrency,
  ]);
});

test.each([
  [{ applyConcurrency: 0 }, 'applyConcurrency must be a positive integer (got 0)'],
  [{ concurrency: 1.5 }, 'concurrency must be a positive integer (got 1.5)'],
  [{ workerTimeoutMs: -1 }, 'workerTimeoutMs must be a positive integer (got -1)'],
  [{ taskQueue: '' }, /^taskQueue /],
  [{ optimizerWorkflowId: ' ' }, 'optimizerWorkflowId must be a non-empty string'],
  [{ prefix: 'has space' }, /^prefix must be/],
  [{ instance: 'a/b' }, /^instance must be letters, digits, \. _ - /],
  [{ instance: 'x'.repeat(65) }, 'instance must be at most 64 bytes (got 65)'],
  [{ logger: {} as never }, 'logger must have a warn method'],
] as [WarmingClientOptions, string | RegExp][])(
  'a bad option is refused naming it, before anything connects: %j',
  async (bad, message) => {
    expect(() => resolveWarmingClientOptions({ env: {}, ...bad })).toThrow(message);
    // No client given: a bad option must stop it before it tries to connect to Temporal.
    await expect(createWarmingClient({ env: { TEMPORAL_ADDRESS: '127.0.0.1:1' }, ...bad })).rejects.toThrow(message);
  },
);

test("without an instance the ids are the contract's own; an instance names the optimiser unless overridden", () => {
  expect(resolveWarmingClientOptions({ env: {} })).toMatchObject({
    instance: undefined,
    optimizerWorkflowId: 'warm-optimizer',
  });
  expect(resolveWarmingClientOptions({ env: { WARMING_INSTANCE: 'eu' } })).toMatchObject({
    instance: 'eu',
    optimizerWorkflowId: 'eu/warm-optimizer',
  });
  // The option's instance replaces the environment's, optimiser id included.
  expect(resolveWarmingClientOptions({ instance: 'us', env: { WARMING_INSTANCE: 'eu' } })).toMatchObject({
    instance: 'us',
    optimizerWorkflowId: 'us/warm-optimizer',
  });
  expect(
    resolveWarmingClientOptions({ env: { WARMING_INSTANCE: 'eu', WARMING_OPTIMIZER_ID: 'legacy-optimizer' } }),
  ).toMatchObject({ instance: 'eu', optimizerWorkflowId: 'legacy-optimizer' });
  expect(() => resolveWarmingClientOptions({ env: { WARMING_INSTANCE: 'has space' } })).toThrow(
    /^WARMING_INSTANCE must be letters, digits/,
  );
});

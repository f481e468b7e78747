import { createCacheClient, resolveCacheClientOptions } from '../../cache/cache-client';

describe('cache client options', () => {
  test('documented defaults, with the environment before the built-in ones', () => {
    const options = resolveCacheClientOptions({}, {});
    expect(options).toEqual(
      expect.objectContaining({
        redisUrl: 'redis://127.0.0.1:6379',
        cluster: false,
        autoPipelining: false,
        prefix: 'cw:',
        flushIntervalMs: 1_000,
        maxBufferedKeys: 10_000,
        lockMs: 5_000,
        lockPollMs: 20,
        usageRetentionMinutes: 75,
      }),
    );
    const fromEnv = resolveCacheClientOptions(
      {},
      { REDIS_URL: 'redis://cache:6380', REDIS_CLUSTER: 'yes', WARMING_PREFIX: 'app:' },
    );
    expect(fromEnv).toEqual(expect.objectContaining({ redisUrl: 'redis://cache:6380', cluster: true, prefix: 'app:' }));
    const explicit = resolveCacheClientOptions(
      { redisUrl: 'redis://x:1', prefix: 'p:', lockMs: 50 },
      { REDIS_URL: 'redis://env:2' },
    );
    expect(explicit).toEqual(expect.objectContaining({ redisUrl: 'redis://x:1', prefix: 'p:', lockMs: 50 }));
  });

  test.each([
    [{ flushIntervalMs: 0 }, /flushIntervalMs must be a positive integer/],
    [{ flushIntervalMs: 1.5 }, /flushIntervalMs/],
    [{ lockMs: -1 }, /lockMs/],
    [{ lockPollMs: Number.NaN }, /lockPollMs/],
    [{ maxBufferedKeys: 0 }, /maxBufferedKeys/],
    [{ usageRetentionMinutes: 0 }, /usageRetentionMinutes/],
    [{ prefix: 'has space' }, /prefix/],
    [{ redisUrl: ' ' }, /redisUrl/],
    [{ autoPipelining: 'yes' as never }, /autoPipelining must be true or false/],
    [{ rewarmer: {} as never }, /^rewarmer must have a rewarmKeys method/],
  ])('rejects %p naming the field, before connecting', (options, message) => {
    expect(() => createCacheClient(options)).toThrow(message);
  });

  test('rejects both a connection and a URL', () => {
    expect(() => resolveCacheClientOptions({ redisUrl: 'redis://x:1', redis: {} as never })).toThrow(
      /redis or redisUrl/,
    );
  });
});

test('the cache client loads no Temporal client or worker code (a rewarm goes through the rewarmer passed in)', () => {
  jest.isolateModules(() => {
    for (const name of ['@temporalio/client', '@temporalio/worker', '@temporalio/activity']) {
      jest.doMock(name, () => {
        throw new Error(`${name} was loaded by the cache client`);
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require('../../cache/cache-client') as { createCacheClient: unknown };
    expect(typeof loaded.createCacheClient).toBe('function');
  });
});

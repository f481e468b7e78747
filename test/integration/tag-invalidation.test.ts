// Invalidation by tag racing a rewrite of one of its keys, against a real redis-server: whenever
// the rewrite lands (after the tag index was read, after the key was deleted), a value that is live
// and carries the tag is in the tag index afterwards, so the next invalidation deletes it. The
// interleavings are made deterministic by a store whose steps run a hook in between.
import { Redis } from 'ioredis';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { testServers, uniqueName } from '../helpers/test-env';

let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = new Redis(testServers().redisUrl);
  prefix = `${uniqueName('tags')}:`;
});

afterAll(() => {
  redis.disconnect();
});

/** A store that runs `between.read` once the tag index has been read and `between.deleted` once keys are deleted. */
class SteppedStore extends RedisCacheStore {
  between: { read?: () => Promise<void>; deleted?: () => Promise<void> } = {};

  override async keysForTag(tag: string): Promise<string[]> {
    const members = await super.keysForTag(tag);
    await this.between.read?.();
    return members;
  }

  override async deleteKeys(keys: readonly string[]): Promise<number> {
    const existed = await super.deleteKeys(keys);
    await this.between.deleted?.();
    return existed;
  }
}

/** Redis's clock in ms: a version newer than any tombstone stamped so far. */
async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

async function write(store: RedisCacheStore, key: string, value: string, tag: string) {
  return store.writeIfNewer({
    key,
    value,
    ttlSeconds: 600,
    version: await redisNowMs(),
    durationMs: 1,
    source: 'test',
    tags: [tag],
  });
}

/** A live value carrying `tag` is in its index, and the next invalidation deletes it. */
async function expectIndexedIfLive(store: SteppedStore, key: string, tag: string): Promise<void> {
  if ((await redis.exists(key)) === 0) return;
  expect(await redis.smembers(redisKeys(prefix).tag(tag))).toContain(key);
  store.between = {};
  expect(await store.invalidateTag(tag)).toContain(key);
  expect(await redis.exists(key)).toBe(0);
}

test('a key recomputed after the invalidation deleted it keeps its tag index entry', async () => {
  const store = new SteppedStore(redis, redisKeys(prefix));
  const tag = uniqueName('t');
  const [key, other] = [uniqueName('recomputed'), uniqueName('other')];
  await write(store, key, 'v1', tag);
  await write(store, other, 'o1', tag);
  store.between.deleted = async () => {
    store.between.deleted = undefined;
    // A load that started after the invalidation stored its value: it is newer than the tombstone.
    expect(await write(store, key, 'v2', tag)).toMatchObject({ written: true });
  };
  expect((await store.invalidateTag(tag)).sort()).toEqual([key, other].sort());
  expect(await redis.get(key)).toBe('v2');
  expect(await redis.smembers(redisKeys(prefix).tag(tag))).toEqual([key]);
  await expectIndexedIfLive(store, key, tag);
});

test('a key rewritten after the tag index was read is deleted or indexed, never live and unindexed', async () => {
  const store = new SteppedStore(redis, redisKeys(prefix));
  const tag = uniqueName('t');
  const key = uniqueName('rewritten');
  await write(store, key, 'v1', tag);
  store.between.read = async () => {
    store.between.read = undefined;
    await write(store, key, 'v2', tag);
  };
  expect(await store.invalidateTag(tag)).toEqual([key]);
  await expectIndexedIfLive(store, key, tag);
});

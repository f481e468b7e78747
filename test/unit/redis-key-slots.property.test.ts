// Redis Cluster slots of the system's helper keys: for any cache key, its metadata and lock keys
// hash to the key's own slot (so a script touching both never fails with CROSSSLOT), checked with a
// reference keyslot written here bit by bit from the Cluster spec; keys whose hashed part has no
// `}` keep the layout of earlier releases.
import fc from 'fast-check';
import { crc16, hashTagOf, keySlot, SLOT_COUNT, slotTag } from '../../store/key-slot';
import { redisKeys } from '../../store/redis-keys';

/** CRC16-XMODEM bit by bit, as the Redis Cluster specification gives it (no table). */
function referenceCrc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** HASH_SLOT as the specification defines it: the first `{...}` with something inside, else the key. */
function referenceKeySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return referenceCrc16(bytes.subarray(open + 1, close)) % 16384;
  }
  return referenceCrc16(bytes) % 16384;
}

/** Keys heavy in braces, colons and non-ASCII text: where a tag goes wrong. */
const cacheKey = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc
    .array(fc.constantFrom('{', '}', ':', 'a', 'b', 'é', '日', '{}', '}{', '{x}'), { maxLength: 12 })
    .map((parts) => parts.join('')),
);

const keys = redisKeys('cw:');

test('the CRC16 is the one the Cluster specification names ("123456789" gives 0x31C3)', () => {
  expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  // Slots Redis's own documentation of CLUSTER KEYSLOT reports.
  expect(['foo', 'bar', 'somekey'].map(keySlot)).toEqual([12182, 5061, 11058]);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => crc16(bytes) === referenceCrc16(bytes)),
    { numRuns: 2_000 },
  );
});

test('keySlot agrees with the specification for any key', () => {
  fc.assert(
    fc.property(cacheKey, (key) => keySlot(key) === referenceKeySlot(key)),
    { numRuns: 5_000 },
  );
});

test.each(['a}b', 'x:}{', '}', '{}x}', 'a{}b}c', 'user:{}:}', '{', '', 'plain', '{user1}:profile', '{a}b}'])(
  'the metadata and lock keys of %j are in its slot',
  (key) => {
    expect(referenceKeySlot(keys.meta(key))).toBe(referenceKeySlot(key));
    expect(referenceKeySlot(keys.lock(key))).toBe(referenceKeySlot(key));
  },
);

test('for any key and prefix, the metadata and lock keys hash to the key’s slot', () => {
  const prefix = fc.stringMatching(/^[A-Za-z0-9:_.-]{1,16}$/);
  fc.assert(
    fc.property(prefix, cacheKey, (p, key) => {
      const k = redisKeys(p);
      const slot = referenceKeySlot(key);
      return referenceKeySlot(k.meta(key)) === slot && referenceKeySlot(k.lock(key)) === slot;
    }),
    { numRuns: 10_000 },
  );
});

test('keys whose hashed part has no } keep the layout of earlier releases', () => {
  fc.assert(
    fc.property(cacheKey, (key) => {
      const hashed = hashTagOf(key);
      fc.pre(hashed !== '' && !hashed.includes('}'));
      return keys.meta(key) === `cw:meta:{${hashed}}:${key}` && keys.lock(key) === `cw:lock:{${hashed}}:${key}`;
    }),
    { numRuns: 5_000 },
  );
  expect(keys.meta('catalog:products')).toBe('cw:meta:{catalog:products}:catalog:products');
  expect(keys.meta('{user1}:profile')).toBe('cw:meta:{user1}:{user1}:profile');
});

test('two different keys never share a metadata key', () => {
  fc.assert(
    fc.property(cacheKey, cacheKey, (a, b) => a === b || keys.meta(a) !== keys.meta(b)),
    { numRuns: 5_000 },
  );
});

test('every slot has a tag of at most 4 digits and lower-case letters that hashes to it', () => {
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const tag = slotTag(slot);
    if (!/^[0-9a-z]{1,4}$/.test(tag) || referenceKeySlot(tag) !== slot) {
      throw new Error(`slot ${slot}: tag ${JSON.stringify(tag)} hashes to ${referenceKeySlot(tag)}`);
    }
  }
  // The table is fixed by its rule; these pin it, since metadata of existing deployments is stored under it.
  expect([0, 1, 8000, 16383].map(slotTag)).toEqual(['1bz', 'emj', '42', 'hia']);
  expect(() => slotTag(SLOT_COUNT)).toThrow(/slot must be an integer from 0 to 16383/);
});

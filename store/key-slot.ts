// Redis Cluster hash slots: which of the 16 384 slots a key lives in (CRC16 of its hash tag, as
// Redis computes it), and a short hash tag for each slot, so the system's helper keys can be put in
// any value's slot even when the value's key cannot be copied into a `{tag}`.

/** Hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16_384;

/** The part of `key` Redis Cluster hashes: the text of its first `{...}` if non-empty, else the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster slots are taken from. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The hash slot of `key` (its UTF-8 bytes, as ioredis sends it), as `CLUSTER KEYSLOT` reports it. */
export function keySlot(key: string): number {
  return crc16(Buffer.from(hashTagOf(key), 'utf8')) % SLOT_COUNT;
}

const TAG_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
let slotTags: string[] | undefined;

/**
 * A hash tag for `slot`: a short string of digits and lower-case letters whose slot is `slot`.
 * The table is fixed by this rule, so every process and release picks the same tag: for each slot,
 * the first string hashing there in the order of length, then alphabet (`0`..`z`, `00`, `01`, ...).
 */
export function slotTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) {
    throw new Error(`slot must be an integer from 0 to ${SLOT_COUNT - 1} (got ${slot})`);
  }
  slotTags ??= buildSlotTags();
  return slotTags[slot] as string;
}

/** Every slot's tag, built once on first use (a few hundred thousand 1-4 character checksums, milliseconds). */
function buildSlotTags(): string[] {
  const tags = new Array<string | undefined>(SLOT_COUNT);
  let missing = SLOT_COUNT;
  const base = TAG_ALPHABET.length;
  for (let length = 1; missing > 0; length++) {
    if (length > 4) throw new Error('no hash tag of 4 characters or fewer found for some slot'); // never: tested
    const count = base ** length;
    for (let n = 0; n < count && missing > 0; n++) {
      let tag = '';
      for (let i = 0, rest = n; i < length; i++, rest = Math.floor(rest / base)) tag = TAG_ALPHABET[rest % base] + tag;
      const slot = keySlot(tag);
      if (tags[slot] === undefined) {
        tags[slot] = tag;
        missing--;
      }
    }
  }
  return tags as string[];
}

// Temporal's limits on what a workflow may send the server, and the bounded forms of every id,
// summary, details text and search attribute value built from outside input. A command over one
// of these limits is refused by the server and fails the workflow task on every retry, so what
// the product builds from a user id, key or message is cut or digested here first. Pure: no I/O,
// importable from workflows.
import { sha256 } from '@noble/hashes/sha2';

/**
 * The limits, in bytes of UTF-8 (the server measures Go string lengths). Each is the server's
 * default, except `idBytes`, which is the stricter 255 that the project's compose deployment and
 * many production clusters set (`limit.maxIDLength`; the server's own default is 1000).
 */
export const TEMPORAL_LIMITS = {
  /** `limit.maxIDLength`: workflow, child workflow and update ids, task queue names. */
  idBytes: 255,
  /** `limit.userMetadataSummarySize`: a workflow's static summary, as its JSON payload. */
  summaryBytes: 400,
  /** `limit.userMetadataDetailsSize`: static or current details, as their JSON payload. */
  detailsBytes: 20_000,
  /** `frontend.searchAttributesSizeOfValueLimit`: one search attribute value, as its JSON payload. */
  searchAttributeValueBytes: 2 * 1024,
  /** `limit.blobSize.error`: one payload (a workflow input, a continue-as-new input, a result). */
  payloadBytes: 2 * 1024 * 1024,
} as const;

/** What a login shard may carry across continue-as-new for its users: well under one payload. */
export const CARRIED_USERS_BUDGET_BYTES = 1024 * 1024;

/** Bytes of `text` in UTF-8 (a lone surrogate counts as the 3 bytes of U+FFFD, as encoders write it). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of `text` as a JSON string payload: quotes and escapes included. */
export function jsonStringBytes(text: string): number {
  return utf8Bytes(JSON.stringify(text));
}

/**
 * The longest prefix of `text` whose UTF-8 form fits `maxBytes`, never splitting a surrogate pair.
 * With `measure`, bytes are counted as `measure` counts them (JSON's escapes, say).
 */
export function clipUtf8(text: string, maxBytes: number, measure: (text: string) => number = utf8Bytes): string {
  if (measure(text) <= maxBytes) return text;
  // Binary search on the cut: measure is monotonic in the prefix length.
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure(cut(text, mid)) <= maxBytes) low = mid;
    else high = mid - 1;
  }
  return cut(text, low);
}

/** `text`, or its fitting prefix ending in `…` when it is longer than `maxBytes` as a JSON payload. */
export function boundedText(text: string, maxBytes: number): string {
  if (jsonStringBytes(text) <= maxBytes) return text;
  return `${clipUtf8(text, maxBytes - 3, jsonStringBytes)}…`;
}

/**
 * `items` in consecutive parts of at most `maxBytes` each as JSON (an item larger than that is a
 * part of its own): the inputs of several workflows where one would be over the payload limit.
 */
export function chunkByBytes<T>(items: readonly T[], maxBytes: number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = utf8Bytes(JSON.stringify(item)) + 1;
    if (part.length > 0 && bytes + size > maxBytes) {
      parts.push(part);
      part = [];
      bytes = 2;
    }
    part.push(item);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** 16 hex digits of the SHA-256 of `text`'s UTF-8 bytes: the stable short form of a long input. */
export function digest(text: string): string {
  const hash = sha256(utf8Encode(text));
  let hex = '';
  for (let i = 0; i < 8; i++) hex += (hash[i] as number).toString(16).padStart(2, '0');
  return hex;
}

/**
 * `${head}${value}${tail}` when it fits `maxBytes`; else `value` cut to fit and followed by `~`
 * and its digest: stable for one value, distinct for two (to the digest's 64 bits), readable
 * at the start. The same value always gives the same id, so queries can rebuild it.
 */
export function boundedId(head: string, value: string, tail = '', maxBytes: number = TEMPORAL_LIMITS.idBytes): string {
  const full = `${head}${value}${tail}`;
  if (utf8Bytes(full) <= maxBytes) return full;
  return `${head}${shortForm(value, maxBytes - utf8Bytes(head) - utf8Bytes(tail))}${tail}`;
}

/** Whether `boundedId` would have to shorten `value`. */
export function needsShortId(head: string, value: string, tail = '', maxBytes: number = TEMPORAL_LIMITS.idBytes) {
  return utf8Bytes(`${head}${value}${tail}`) > maxBytes;
}

/** `value` cut to `maxBytes` with `~<digest>` in its last 17 bytes. */
function shortForm(value: string, maxBytes: number): string {
  const suffix = `~${digest(value)}`;
  if (maxBytes < suffix.length) throw new RangeError(`no room for an id: ${maxBytes} bytes left for the value`);
  return `${clipUtf8(value, maxBytes - suffix.length)}${suffix}`;
}

/** The first `length` code units of `text`, one fewer if that would split a surrogate pair. */
function cut(text: string, length: number): string {
  if (length > 0 && length < text.length && isLowSurrogate(text.charCodeAt(length))) {
    const before = text.charCodeAt(length - 1);
    if (before >= 0xd800 && before <= 0xdbff) return text.slice(0, length - 1);
  }
  return text.slice(0, length);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** UTF-8 bytes of `text` (workflow code has no Buffer, and TextEncoder is not guaranteed there). */
function utf8Encode(text: string): Uint8Array {
  const out = new Uint8Array(utf8Bytes(text));
  let at = 0;
  for (const char of text) {
    let code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) out[at++] = code;
    else if (code < 0x800) {
      out[at++] = 0xc0 | (code >> 6);
      out[at++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    } else {
      out[at++] = 0xf0 | (code >> 18);
      out[at++] = 0x80 | ((code >> 12) & 0x3f);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    }
  }
  return out;
}

// The bounded forms of ids, summaries and search attribute values built from outside input.
import fc from 'fast-check';
import {
  boundedId,
  boundedText,
  chunkByBytes,
  clipUtf8,
  digest,
  jsonStringBytes,
  TEMPORAL_LIMITS,
  utf8Bytes,
} from '../../core/temporal-limits';
import { oneLine } from '../../core/one-line';
import { preloadsOfUserQuery, preloadUserSummary, preloadUserWorkflowId } from '../../workflows/user-definitions';
import { bulkRewarmWorkflowId, taskQueueProblem, userLoginsWorkflowId } from '../../core/workflow-ids';

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: fc.constantFrom('界', '😀', 'a', '"', '\\', '\u0000', '\u2028', 'é'), maxLength: 1100 }),
);

test('utf8Bytes counts what Buffer encodes, lone surrogates included', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }),
  );
});

test('clipUtf8 keeps a prefix within the bytes and never splits a surrogate pair', () => {
  fc.assert(
    fc.property(hostile, fc.integer({ min: 0, max: 600 }), (text, max) => {
      const clipped = clipUtf8(text, max);
      expect(text.startsWith(clipped)).toBe(true);
      expect(utf8Bytes(clipped)).toBeLessThanOrEqual(max);
      const last = clipped.charCodeAt(clipped.length - 1);
      if (clipped.length < text.length)
        expect(last >= 0xd800 && last <= 0xdbff && text.charCodeAt(clipped.length) >= 0xdc00).toBe(false);
    }),
  );
});

test('boundedText fits its JSON payload limit and is unchanged when it already fits', () => {
  fc.assert(
    fc.property(hostile, (text) => {
      const bounded = boundedText(text, TEMPORAL_LIMITS.summaryBytes);
      expect(jsonStringBytes(bounded)).toBeLessThanOrEqual(TEMPORAL_LIMITS.summaryBytes);
      if (jsonStringBytes(text) <= TEMPORAL_LIMITS.summaryBytes) expect(bounded).toBe(text);
    }),
  );
});

test('every preload child id and summary fits Temporal whatever the user id, and long ids stay distinct', () => {
  fc.assert(
    fc.property(hostile, hostile, fc.integer({ min: 0, max: 2 ** 52 }), (a, b, ms) => {
      const id = preloadUserWorkflowId(a, ms);
      expect(utf8Bytes(id)).toBeLessThanOrEqual(TEMPORAL_LIMITS.idBytes);
      expect(jsonStringBytes(preloadUserSummary(a))).toBeLessThanOrEqual(TEMPORAL_LIMITS.summaryBytes);
      if (a !== b) expect(preloadUserWorkflowId(b, ms)).not.toBe(id);
    }),
  );
});

test('a long user id gets a cut, digested child id that its visibility query still finds', () => {
  const userId = '界'.repeat(200);
  const id = preloadUserWorkflowId(userId, 1_764_000_000_000);
  expect(utf8Bytes(id)).toBeLessThanOrEqual(255);
  expect(id).toContain(`~${digest(userId)}:`);
  const prefix = /STARTS_WITH '(.*)'$/.exec(preloadsOfUserQuery(userId))?.[1];
  expect(id.startsWith(prefix as string)).toBe(true);
  // A short id keeps release 0.2's form.
  expect(preloadUserWorkflowId('alice', 5)).toBe('preload-user:alice:5');
});

test('other ids built from outside input are bounded', () => {
  expect(utf8Bytes(bulkRewarmWorkflowId(`product:{id}:${'x'.repeat(1000)}`, 'nonce'))).toBeLessThanOrEqual(255);
  expect(bulkRewarmWorkflowId('product:{id}', 'n')).toBe('rewarm:product:{id}:n');
  expect(boundedId('a:', 'b', ':c')).toBe('a:b:c');
  expect(taskQueueProblem('q'.repeat(201))).toMatch(/at most 200 bytes/);
  expect(taskQueueProblem('cache-warming')).toBeUndefined();
  expect(utf8Bytes(userLoginsWorkflowId('q'.repeat(200), 99_999) + '-critical')).toBeLessThanOrEqual(255);
});

test('chunkByBytes keeps order and each part within the budget', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ id: fc.string({ maxLength: 30 }) }), { maxLength: 300 }), (items) => {
      const parts = chunkByBytes(items, 500);
      expect(parts.flat()).toEqual(items);
      for (const part of parts)
        if (part.length > 1) expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThanOrEqual(500);
    }),
  );
});

test('oneLine escapes every character that could split a line, newlines as JSON writes them', () => {
  expect(oneLine('a\nb\tc\u0000d\u007fe\u2028f\u2029g')).toBe('a\\nb\\tc\\u0000d\\u007fe\\u2028f\\u2029g');
  expect(oneLine('x\u0085y')).toBe('x\\u0085y');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
      expect(oneLine(text)).not.toMatch(/[\r\n\u2028\u2029\u0085]/);
    }),
  );
});

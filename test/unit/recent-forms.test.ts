import { parseFormsList, pickRecentForms } from '../../core/recent-forms';

test('picks the max most recent forms by updatedAt, newest first', () => {
  const entries = parseFormsList([
    { id: 'a', updatedAt: '2024-01-01T00:00:00Z' },
    { id: 'b', updatedAt: '2024-03-01T00:00:00Z' },
    { id: 'c', updatedAt: '2024-02-01T00:00:00Z' },
    { id: 'd', updatedAt: '2023-12-01T00:00:00Z' },
  ]);
  expect(pickRecentForms(entries, 2)).toEqual(['b', 'c']);
});

test('keeps list order when no entry has updatedAt', () => {
  expect(pickRecentForms(parseFormsList(['f7', 3, 'f1', 'f9', 'f2', 'f8']), 5)).toEqual(['f7', '3', 'f1', 'f9', 'f2']);
});

test('ranks dated entries before undated ones, and equal dates keep list order', () => {
  const entries = parseFormsList([
    'undated-1',
    { id: 'old', updatedAt: 1_000 },
    { id: 'same-1', updatedAt: 5_000 },
    { id: 'undated-2' },
    { id: 'same-2', updatedAt: '1970-01-01T00:00:05Z' },
  ]);
  expect(pickRecentForms(entries, 10)).toEqual(['same-1', 'same-2', 'old', 'undated-1', 'undated-2']);
});

test('a repeated id counts once, at its most recent position', () => {
  const entries = parseFormsList([
    { id: 'x', updatedAt: 1 },
    { id: 'y', updatedAt: 2 },
    { id: 'x', updatedAt: 3 },
  ]);
  expect(pickRecentForms(entries, 2)).toEqual(['x', 'y']);
});

test('returns fewer than max when the list is shorter, and nothing for an empty list', () => {
  expect(pickRecentForms(parseFormsList(['a']), 5)).toEqual(['a']);
  expect(pickRecentForms(parseFormsList([]), 5)).toEqual([]);
});

test('ignores extra fields of form objects and accepts a null updatedAt as absent', () => {
  expect(parseFormsList([{ id: 7, title: 'Tax return', updatedAt: null }])).toEqual([{ id: '7' }]);
});

test.each([
  [{ forms: [] }, /forms list must be a JSON array/],
  ['f1', /forms list must be a JSON array/],
  [['ok', ''], /forms list\[1\]: must not be empty/],
  [['ok', 'has space'], /forms list\[1\]: must not contain whitespace/],
  [[1.5], /forms list\[0\]: must be a form id/],
  [[{ id: 'a', updatedAt: true }], /forms list\[0\]\.updatedAt: must be an ISO-8601 date or milliseconds/],
  [[{ title: 'no id' }], /forms list\[0\]\.id: must be a form id/],
  [[{ id: 'a', updatedAt: 'yesterday' }], /forms list\[0\]\.updatedAt: must be an ISO-8601 date/],
  [[['nested']], /forms list\[0\]: must be a form id/],
])('rejects a malformed list %j naming the problem', (raw, message) => {
  expect(() => parseFormsList(raw)).toThrow(message);
});

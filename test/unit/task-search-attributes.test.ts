// A task run sets its search attributes only when its start does not already carry them (patch
// carried-attributes): the comparison that decides it, value for value.
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import fc from 'fast-check';
import { parseTask } from '../../core/config-schema';
import {
  hasSearchAttributes,
  taskSearchAttributes,
  WARM_BATCHES,
  WARM_CRITICAL,
  WARM_PRIORITY,
  WARM_TAGS,
  WARM_TASK_ID,
} from '../../workflows/search-attributes';

const task = (fields: Record<string, unknown> = {}) =>
  parseTask({
    taskId: 'catalog',
    cacheKey: 'catalog:v1',
    loader: { type: 'http', url: 'http://origin.example/catalog' },
    ttlSeconds: 300,
    tags: ['shop', 'hot'],
    ...fields,
  });

/** The pairs with `key`'s value replaced. */
function replaced(
  pairs: SearchAttributePair[],
  key: SearchAttributePair['key'],
  value: unknown,
): SearchAttributePair[] {
  return pairs.map((pair) => (pair.key.name === key.name ? ({ key, value } as SearchAttributePair) : pair));
}

test('a run started with the attributes it would set has them, whatever the task', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z0-9][\w.-]{0,59}$/),
      fc.array(fc.stringMatching(/^[A-Za-z0-9][\w.:-]{0,19}$/), { maxLength: 6 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.boolean(),
      (taskId, tags, priority, critical) => {
        const pairs = taskSearchAttributes(task({ taskId, tags: [...new Set(tags)], priority, critical }));
        expect(hasSearchAttributes(new TypedSearchAttributes(pairs), pairs)).toBe(true);
      },
    ),
  );
});

test('other attributes of the run (a fleet operation’s WarmBatches) do not matter', () => {
  const pairs = taskSearchAttributes(task());
  const current = new TypedSearchAttributes([...pairs, { key: WARM_BATCHES, value: ['b1:ok'] }]);
  expect(hasSearchAttributes(current, pairs)).toBe(true);
});

test.each([
  ['none at all (a start straight from Temporal’s CLI)', () => new TypedSearchAttributes()],
  [
    'another task id',
    (pairs: SearchAttributePair[]) => new TypedSearchAttributes(replaced(pairs, WARM_TASK_ID, 'other')),
  ],
  ['another priority', (pairs: SearchAttributePair[]) => new TypedSearchAttributes(replaced(pairs, WARM_PRIORITY, 99))],
  [
    'another criticality',
    (pairs: SearchAttributePair[]) => new TypedSearchAttributes(replaced(pairs, WARM_CRITICAL, true)),
  ],
  ['a tag fewer', (pairs: SearchAttributePair[]) => new TypedSearchAttributes(replaced(pairs, WARM_TAGS, ['shop']))],
  [
    'the tags in another order',
    (pairs: SearchAttributePair[]) => new TypedSearchAttributes(replaced(pairs, WARM_TAGS, ['hot', 'shop'])),
  ],
  [
    'one attribute missing',
    (pairs: SearchAttributePair[]) => new TypedSearchAttributes(pairs.filter((p) => p.key.name !== WARM_TAGS.name)),
  ],
])('a run whose start has %s sets them', (_what, current) => {
  const pairs = taskSearchAttributes(task());
  expect(hasSearchAttributes(current(pairs), pairs)).toBe(false);
});

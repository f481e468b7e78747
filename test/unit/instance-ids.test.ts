// Instance names in workflow ids: the default deployment keeps the contract's ids, a named one
// gets its own, no id of one parses as another's, and every id stays within Temporal's limit.
import {
  bulkImportWorkflowId,
  bulkRewarmWorkflowId,
  defaultOptimizerWorkflowId,
  instanceProblem,
  MAX_INSTANCE_BYTES,
  taskIdFromWorkflowId,
  taskWorkflowId,
} from '../../core/workflow-ids';
import { TEMPORAL_LIMITS, utf8Bytes } from '../../core/temporal-limits';

test("without an instance the ids are the contract's own", () => {
  expect(taskWorkflowId('catalog')).toBe('warm-task:catalog');
  expect(defaultOptimizerWorkflowId()).toBe('warm-optimizer');
  expect(bulkRewarmWorkflowId('product:{id}', 'n1')).toBe('rewarm:product:{id}:n1');
  expect(bulkImportWorkflowId('product:{id}', 'n1')).toBe('import:product:{id}:n1');
});

test('an instance prefixes every id it creates', () => {
  expect(taskWorkflowId('catalog', 'eu')).toBe('eu/warm-task:catalog');
  expect(defaultOptimizerWorkflowId('eu')).toBe('eu/warm-optimizer');
  expect(bulkRewarmWorkflowId('product:{id}', 'n1', 'eu')).toBe('eu/rewarm:product:{id}:n1');
  expect(bulkImportWorkflowId('product:{id}', 'n1', 'eu')).toBe('eu/import:product:{id}:n1');
});

test("a task id parses back only under its own instance, never another's or the default's", () => {
  expect(taskIdFromWorkflowId('eu/warm-task:catalog', 'eu')).toBe('catalog');
  expect(taskIdFromWorkflowId('eu/warm-task:catalog')).toBeUndefined();
  expect(taskIdFromWorkflowId('eu/warm-task:catalog', 'us')).toBeUndefined();
  expect(taskIdFromWorkflowId('eu/warm-task:catalog', 'e')).toBeUndefined();
  expect(taskIdFromWorkflowId('warm-task:catalog', 'eu')).toBeUndefined();
  expect(taskIdFromWorkflowId('warm-task:catalog')).toBe('catalog');
});

test('the longest instance with the longest task id stays within the id limit', () => {
  const instance = 'i'.repeat(MAX_INSTANCE_BYTES);
  expect(instanceProblem(instance)).toBeUndefined();
  expect(utf8Bytes(taskWorkflowId('t'.repeat(128), instance))).toBeLessThanOrEqual(TEMPORAL_LIMITS.idBytes);
  expect(utf8Bytes(bulkRewarmWorkflowId('k'.repeat(1_000), 'x'.repeat(36), instance))).toBeLessThanOrEqual(
    TEMPORAL_LIMITS.idBytes,
  );
});

test.each([
  ['', /^must be letters/],
  ['a/b', /^must be letters/],
  ['a:b', /^must be letters/],
  ['-a', /^must be letters/],
  ['é', /^must be letters/],
  ['x'.repeat(MAX_INSTANCE_BYTES + 1), `must be at most ${MAX_INSTANCE_BYTES} bytes (got ${MAX_INSTANCE_BYTES + 1})`],
])('a bad instance %j is refused saying why', (name, message) => {
  expect(instanceProblem(name)).toMatch(message);
});

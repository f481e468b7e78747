import { specHash } from '../../client/spec-hash';
import { parseTask } from '../../core/config-schema';

const task = parseTask({
  taskId: 'catalog',
  cacheKey: 'catalog:products',
  loader: { type: 'http', url: 'http://127.0.0.1:8080/products' },
  ttlSeconds: 600,
  tags: ['a', 'b'],
});

test('equal specs hash alike whatever their key order', () => {
  const reordered = Object.fromEntries(Object.entries(task).reverse()) as typeof task;
  expect(specHash(reordered)).toBe(specHash(task));
});

test('any changed field changes the hash', () => {
  expect(specHash({ ...task, ttlSeconds: 601 })).not.toBe(specHash(task));
  expect(specHash({ ...task, tags: ['b', 'a'] })).not.toBe(specHash(task));
  expect(specHash({ ...task, loader: { type: 'http', url: 'http://127.0.0.1:8080/other' } })).not.toBe(specHash(task));
});

// The eviction-policy check's reading of INFO and its one warning line (the check against a real
// redis-server is in test/faults/redis-security.test.ts).
import { evictionPolicyWarning, maxmemoryPolicyOf } from '../../store/eviction-policy';

test('reads maxmemory_policy from an INFO memory reply', () => {
  const info =
    '# Memory\r\nused_memory:1000\r\nmaxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\nmem_fragmentation_ratio:1.2\r\n';
  expect(maxmemoryPolicyOf(info)).toBe('allkeys-lru');
  expect(maxmemoryPolicyOf('# Memory\r\nused_memory:1\r\n')).toBeUndefined();
});

test.each(['allkeys-lru', 'allkeys-lfu', 'allkeys-random'])(
  '%s gets one warning line naming the config key',
  (policy) => {
    const warning = evictionPolicyWarning(policy, 'eu:');
    expect(warning).toMatch(new RegExp(`^Redis maxmemory-policy is ${policy}: .*can evict eu:config`));
    expect(warning?.split('\n')).toHaveLength(1);
  },
);

test.each(['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-ttl', 'volatile-random'])(
  '%s gets no warning',
  (policy) => {
    expect(evictionPolicyWarning(policy)).toBeUndefined();
  },
);

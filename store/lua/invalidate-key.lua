-- Deletes a cached value and leaves a tombstone version, so a load that started before the
-- invalidation (and may carry the old data) cannot write it back afterwards.
-- KEYS[1] value key, KEYS[2] metadata hash (same hash slot). ARGV: nowMs, metaTtlSeconds.
-- Returns 1 when a value existed.
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'version', ARGV[1], 'source', 'invalidated', 'reads', 0)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
return existed

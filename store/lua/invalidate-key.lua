-- Deletes a cached value and leaves a tombstone version, so a load that started before the
-- invalidation (and may carry the old data) cannot write it back afterwards. The tombstone is
-- stamped with Redis's clock (TIME), the clock load versions come from, never the caller's.
-- KEYS[1] value key, KEYS[2] metadata hash (same hash slot). ARGV: metaTtlSeconds.
-- Returns 1 when a value existed.
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'version', string.format('%d', nowMs), 'source', 'invalidated', 'reads', 0)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
return existed

-- Counts reads of a stored value for the efficiency score. Only a value written with metadata
-- (by a warm or a cache client compute) is counted: a missing hash is never created, and an
-- invalidation tombstone (or stray data that is not a hash) is left alone.
-- KEYS[1] metadata hash. ARGV[1] how many reads to add.
-- Returns the new read count, or -1 when nothing was counted.
if redis.call('TYPE', KEYS[1])['ok'] ~= 'hash' then return -1 end
if redis.call('HGET', KEYS[1], 'source') == 'invalidated' then return -1 end
return redis.call('HINCRBY', KEYS[1], 'reads', tonumber(ARGV[1]))

-- Changes the hash of applied spec hashes only while the caller holds the apply lock: an apply
-- whose lease ran out cannot write over the apply that took over (a fenced compare-and-set).
-- The hash is the system's to rebuild: stray data of another type there is replaced.
-- KEYS[1] apply lock, KEYS[2] applied-spec hash (same hash slot).
-- ARGV[1] the holder's token, ARGV[2] 'set' (then field, value, ...) or 'del' (then fields).
-- Returns 1 when changed, 0 when the lock is not held with this token.
if redis.call('TYPE', KEYS[1])['ok'] ~= 'string' or redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local kind = redis.call('TYPE', KEYS[2])['ok']
if kind ~= 'none' and kind ~= 'hash' then redis.call('DEL', KEYS[2]) end
if ARGV[2] == 'set' then
  redis.call('HSET', KEYS[2], unpack(ARGV, 3))
else
  redis.call('HDEL', KEYS[2], unpack(ARGV, 3))
end
return 1

-- Extends a lease lock the caller still holds.
-- KEYS[1] lock key. ARGV[1] the holder's token, ARGV[2] new lease in ms.
-- Returns 1 when extended, 0 when the lock is not held with this token (it ran out, or was taken).
if redis.call('TYPE', KEYS[1])['ok'] == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0

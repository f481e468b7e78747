-- Releases a lock only if the caller still holds it: a holder whose lock expired and was
-- taken by another process must not delete the new holder's lock. Stray data of another type
-- is not a lock anyone holds: it is left for the next acquire to clear.
-- KEYS[1] lock key. ARGV[1] the holder's token.
-- Returns 1 when the lock was released, 0 when it was not held with this token.
if redis.call('TYPE', KEYS[1])['ok'] == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

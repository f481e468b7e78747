-- Releases a lock only if the caller still holds it: a holder whose lock expired and was
-- taken by another process must not delete the new holder's lock.
-- KEYS[1] lock key. ARGV[1] the holder's token.
-- Returns 1 when the lock was released, 0 when it was not held with this token.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

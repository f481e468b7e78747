-- Takes a lease lock unless someone holds it. What cannot be a live lease (stray data of another
-- type, or a value with no expiry, which no holder ever sets) is cleared first, so stray data
-- under the prefix cannot hold a lock for good.
-- KEYS[1] lock key. ARGV[1] the holder's token, ARGV[2] lease in ms.
-- Returns 1 when the lock was taken, 0 when another holder has it.
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'none' and (kind ~= 'string' or redis.call('PTTL', KEYS[1]) < 0) then
  redis.call('DEL', KEYS[1])
end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]), 'NX') then return 1 end
return 0

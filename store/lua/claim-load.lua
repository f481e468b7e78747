-- Claims the load of a value: the cross-process single-flight lock that cache clients take on a
-- miss (`<prefix>lock:{<slot>}:<key>`), taken by the worker's warms and preloads too, so a read
-- that misses while the worker loads the key waits for that load instead of calling the origin.
-- What cannot be a live lease (stray data of another type, or a value with no expiry) is cleared,
-- as acquire-lock does. One round trip also gives the load its version (Redis's clock) and what
-- is stored now, so a waiting claimer can tell whether a load it waited for made its own needless.
-- KEYS[1] lock key, KEYS[2] the value's metadata hash (same slot). ARGV[1] token, ARGV[2] lease ms.
-- Returns { claimed (0/1), nowMs, storedVersion or -1, the stored value's writer (its metadata's
-- source) or '' }.
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'none' and (kind ~= 'string' or redis.call('PTTL', KEYS[1]) < 0) then
  redis.call('DEL', KEYS[1])
end
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local stored = -1
local source = ''
if redis.call('TYPE', KEYS[2])['ok'] == 'hash' then
  stored = tonumber(redis.call('HGET', KEYS[2], 'version')) or -1
  source = redis.call('HGET', KEYS[2], 'source') or ''
end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]), 'NX') then
  return { 1, nowMs, stored, source }
end
return { 0, nowMs, stored, source }

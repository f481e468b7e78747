-- Writes a warmed value and its metadata unless a newer version is already stored.
-- KEYS[1] value key, KEYS[2] metadata hash (same hash slot).
-- ARGV: value, ttlSeconds, version, durationMs, sizeBytes, source, metaTtlSeconds
-- warmedAt and expiresAt are stamped with Redis's clock (TIME), the clock the key's TTL runs on.
-- Returns { written (0/1), storedVersion, replacedVersion or '', replacedReads or '', replacedExpired (0/1) }.
-- Metadata that is not a hash, or has no numeric version, is not ours to trust: it is replaced
-- (the key lives under the system's prefix), so stray data cannot block warming for good.
local current = nil
if redis.call('TYPE', KEYS[2])['ok'] == 'hash' then
  current = redis.call('HGET', KEYS[2], 'version')
  if not tonumber(current) then current = nil end
end
if current and tonumber(current) > tonumber(ARGV[3]) then
  return { 0, current, '', '', 0 }
end
local replacedReads = ''
local replacedExpired = 0
if current then
  replacedReads = tostring(tonumber(redis.call('HGET', KEYS[2], 'reads')) or 0)
  if redis.call('EXISTS', KEYS[1]) == 0 then replacedExpired = 1 end
end
local ttl = tonumber(ARGV[2])
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2],
  'version', ARGV[3], 'warmedAt', string.format('%d', nowMs), 'durationMs', ARGV[4], 'sizeBytes', ARGV[5],
  'source', ARGV[6], 'expiresAt', string.format('%d', nowMs + ttl * 1000), 'reads', 0)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[7]))
return { 1, ARGV[3], current or '', replacedReads, replacedExpired }

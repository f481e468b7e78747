-- Redis's clock, in ms since the epoch: load versions are taken from it, so no client's clock
-- decides which load is newer. A script (not a plain TIME) so that on a cluster it runs on the
-- node that holds KEYS[1], the clock that also stamps that key's tombstones and writes.
-- KEYS[1] any key in the slot to ask (not read). Returns ms since the epoch (an integer).
local now = redis.call('TIME')
return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)

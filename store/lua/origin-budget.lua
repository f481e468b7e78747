-- One origin's budget shared by every worker of a deployment: at most `concurrency` loads in flight
-- and `rate` started in any second, whichever worker starts them, and a worker's load never starts
-- while another worker has a load of higher priority waiting for the same origin.
-- A load in flight is a lease that its worker renews; a worker that dies stops renewing, and its
-- leases run out, so no capacity is lost for longer than one lease. Redis's clock is the only one.
-- KEYS[1] leases in flight (zset: lease id -> expiry ms), KEYS[2] starts in the last second (zset:
-- lease id -> start ms), KEYS[3] waiting demand (zset: '<priority>:<worker>' -> expiry ms); one slot.
-- ARGV: worker id, priority index to acquire at (0 = highest; -1 = acquire nothing and withdraw this
-- worker's demand; -2 = acquire nothing, leave its demand as it is: a renewal), leases wanted,
-- concurrency, rate per second (0 = none), lease ms, demand ms, first lease sequence number, count
-- of lease ids to release, then those ids, then lease ids to renew.
-- Returns { granted, retry after ms (0 = when a lease is released), the highest priority another
-- worker waits at (4 = none) }: the granted leases are '<worker>:<seq>' for seq = first .. first +
-- granted - 1.
-- Stray data where a budget key belongs (written by hand, another tool) is dropped: the keys hold
-- nothing that outlives a lease, so starting them afresh loses no more than a lease would.
for _, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key).ok
  if kind ~= 'zset' and kind ~= 'none' then
    redis.call('DEL', key)
  end
end
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local worker = ARGV[1]
local priority = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local concurrency = tonumber(ARGV[4])
local rate = tonumber(ARGV[5])
local leaseMs = tonumber(ARGV[6])
local demandMs = tonumber(ARGV[7])
local firstSeq = tonumber(ARGV[8])
local releases = tonumber(ARGV[9])

local i = 10
while i < 10 + releases do
  redis.call('ZREM', KEYS[1], ARGV[i])
  i = i + 1
end
-- XX: a lease that ran out (its worker stalled past it) is not brought back by a late renewal.
while i <= #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', nowMs + leaseMs, ARGV[i])
  i = i + 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
-- Nothing is kept for an origin nobody loads from any more.
redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', nowMs)
local others = 4
-- Other workers waiting at this call's priority or above: a worker returning leases does not take
-- their places back in the same call (it would always be first), so workers at one priority take turns.
local aheadOrLevel = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local colon = string.find(member, ':', 1, true)
  if colon and string.sub(member, colon + 1) ~= worker then
    local level = tonumber(string.sub(member, 1, colon - 1)) or 4
    others = math.min(others, level)
    if level <= priority then
      aheadOrLevel = aheadOrLevel + 1
    end
  end
end
if priority == -2 then
  return { 0, 0, others }
end
for p = 0, 3 do
  redis.call('ZREM', KEYS[3], p .. ':' .. worker)
end
if priority < 0 then
  return { 0, 0, others }
end

local granted = 0
local retryMs = 0
if others >= priority then
  local free = concurrency - redis.call('ZCARD', KEYS[1])
  if rate > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs - 1000)
    local rateFree = rate - redis.call('ZCARD', KEYS[2])
    if rateFree < free then
      free = rateFree
      if free < wanted then
        local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
        if oldest[2] then
          retryMs = math.max(1, tonumber(oldest[2]) + 1000 - nowMs)
        end
      end
    end
  end
  if releases > 0 then
    free = free - aheadOrLevel
  end
  granted = math.max(0, math.min(wanted, free))
  for seq = firstSeq, firstSeq + granted - 1 do
    local lease = worker .. ':' .. seq
    redis.call('ZADD', KEYS[1], nowMs + leaseMs, lease)
    if rate > 0 then
      redis.call('ZADD', KEYS[2], nowMs, lease)
    end
  end
  if rate > 0 then
    redis.call('PEXPIRE', KEYS[2], 2000)
  end
  redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
end
if granted < wanted then
  redis.call('ZADD', KEYS[3], nowMs + demandMs, priority .. ':' .. worker)
  redis.call('PEXPIRE', KEYS[3], demandMs * 2)
end
return { granted, retryMs, others }

-- concurrent.lua: take one of `limit` slots, fleet-wide.
-- Holders are members of a sorted set scored by when their lock lapses: a holder that
-- crashed is reclaimed once its lock_timeout has passed, nothing else ever is.
-- KEYS[1] = {ns}:plugin:enterprise:limiter:<name>   (ZSET token -> lapse time, ms)
-- ARGV[1] = limit   ARGV[2] = lock_timeout (ms)   ARGV[3] = token of the new holder
-- Returns {1, 0} when the slot is taken, {0, ms until a lock lapses} when all are held.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now}

-- window.lua: at most `limit` grants in any sliding window of `window` milliseconds.
-- KEYS[1] = {ns}:plugin:enterprise:limiter:<name>   (ZSET token -> grant time, ms)
-- ARGV[1] = limit   ARGV[2] = window (ms)   ARGV[3] = token of the new grant
-- Returns {1, 0} on a grant, {0, ms until the oldest grant leaves the window} otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now + 1}

-- window.lua: at most `limit` grants in any sliding window of `window` milliseconds.
-- KEYS[1] = {ns}:plugin:enterprise:limiter:<name>   (ZSET token -> grant time, microseconds)
-- ARGV[1] = limit   ARGV[2] = window (ms)   ARGV[3] = token of the new grant
-- Returns {1, 0, grant time in us} on a grant, {0, ms until the oldest grant leaves the window}.
-- Times are whole microseconds of the server clock (exact in a double until year 2255):
-- whole milliseconds would let two grants fall up to 1 ms less than a window apart.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2]) * 1000
-- A grant exactly one window ago is out of it: the bound is exclusive of "now - window".
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) * 2)
  return {1, 0, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.ceil((tonumber(oldest[2]) + window - now) / 1000)}

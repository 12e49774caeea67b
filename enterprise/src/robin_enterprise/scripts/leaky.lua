-- leaky.lua: a leaky bucket that holds `limit` and drains at `limit` per interval, so
-- bursts up to `limit` go through at once and the steady rate is limit/interval.
-- KEYS[1] = {ns}:plugin:enterprise:limiter:<name>   (HASH level, at)
-- ARGV[1] = limit (the bucket's size)   ARGV[2] = interval (ms)
-- Returns {1, 0, grant time in us} on a grant, {0, ms until a grant fits, 0} otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = now_us / 1000
local size, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local rate = size / interval  -- drained per ms
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or tostring(now))
level = math.max(0, level - (now - at) * rate)
local granted = 0
local wait = 0
if level + 1 <= size + 1e-9 then
  level = level + 1
  granted = 1
else
  wait = math.ceil((level + 1 - size) / rate)
end
-- %.17g keeps every bit of a double; tostring() keeps 14 digits, which would round `at`
-- to 0.1 ms and let a few grants too many through over a minute.
redis.call('HSET', KEYS[1], 'level', string.format('%.17g', level), 'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(interval * 2))
return {granted, wait, granted == 1 and now_us or 0}

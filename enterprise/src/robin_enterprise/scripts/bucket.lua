-- bucket.lua: at most `limit` grants per calendar window (second, minute, hour, day; UTC).
-- KEYS[1] = {ns}:plugin:enterprise:limiter:<name>  (the window index is appended)
-- ARGV[1] = limit   ARGV[2] = window length (s)
-- Returns {1, 0, window} on a grant, {0, ms until the next window, window} otherwise.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local length = tonumber(ARGV[2])
local window = math.floor(now / 1000 / length)
local key = KEYS[1] .. ':' .. window
local used = tonumber(redis.call('GET', key) or '0')
if used < tonumber(ARGV[1]) then
  redis.call('INCR', key)
  redis.call('EXPIRE', key, length * 2)
  return {1, 0, window}
end
return {0, (window + 1) * length * 1000 - now, window}

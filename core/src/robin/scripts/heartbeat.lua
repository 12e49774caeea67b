-- heartbeat.lua: renew a process' lease and publish its state, in one round trip.
-- The first write is EXPIRE, which a server at its memory limit still accepts; once
-- a script has written, the server lets it run to the end.  So the lease is renewed
-- even when the server is out of memory, and no live process is taken for dead.
-- Time is the server's (TIME), so hosts with skewed clocks agree on who is late.
-- KEYS[1] = {ns}:process:<identity> (the lease)   KEYS[2] = {ns}:processes
-- KEYS[3] = {ns}:work:<identity>                   KEYS[4] = {ns}:signals:<identity>
-- ARGV[1] = identity   ARGV[2] = lease (s)   ARGV[3] = info (JSON)
-- ARGV[4] = busy       ARGV[5] = quiet (0/1)  ARGV[6] = rss (KiB)
-- ARGV[7..] = what runs now: thread name, JSON, thread name, JSON, ...
-- Returns {1 if the lease still existed else 0, {remote commands...}}.
if redis.replicate_commands then
  redis.replicate_commands()  -- Redis 6.2: replicate effects, as TIME is not deterministic
end
local existed = redis.call('EXPIRE', KEYS[1], ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[1], 'info', ARGV[3], 'beat', tostring(now), 'busy', ARGV[4],
           'quiet', ARGV[5], 'rss', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('DEL', KEYS[3])
if #ARGV > 6 then
  redis.call('HSET', KEYS[3], unpack(ARGV, 7))
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
local commands = redis.call('LRANGE', KEYS[4], 0, -1)
redis.call('DEL', KEYS[4])
return {existed, commands}

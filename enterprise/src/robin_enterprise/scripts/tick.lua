-- tick.lua: handle one tick of a periodic job, exactly once fleet-wide.
-- The tick's key is set (NX) and the job pushed in one atomic step: two leaders
-- overlapping during a hand-over cannot both enqueue it, and no crash can separate the
-- record from the push.  "last" only ever moves forward, whoever writes it.
-- KEYS[1] = {ns}:plugin:enterprise:tick:<id>:<tick>
-- KEYS[2] = {ns}:plugin:enterprise:periodic:last   KEYS[3] = {ns}:plugin:enterprise:periodic:job
-- KEYS[4] = {ns}:schedule (core's scheduled jobs)
-- ARGV[1] = core prefix "{ns}:"   ARGV[2] = schedule id   ARGV[3] = tick (unix s)
-- ARGV[4] = queue   ARGV[5] = payload, or "" to record the tick as handled without a job
--   (skipped: missed, unlicensed, or stopped by client middleware)
-- ARGV[6] = jid   ARGV[7] = seconds to remember the tick
-- ARGV[8] = unix time the job is due if client middleware scheduled it, else ""
-- Returns 1 if enqueued now, 0 if handled before (or recorded only), -1 if the push
-- failed (the queue's key holds something else): the tick is then not recorded.
local last_raw = redis.call('HGET', KEYS[2], ARGV[2])
local last = tonumber(last_raw or '0')
if tonumber(ARGV[3]) > last then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
if ARGV[5] == '' then
  return 0
end
if not redis.call('SET', KEYS[1], ARGV[6], 'NX', 'EX', tonumber(ARGV[7])) then
  return 0
end
local pushed
if ARGV[8] ~= '' then
  pushed = robin_zadd(KEYS[4], tonumber(ARGV[8]), ARGV[5])
else
  pushed = robin_push(ARGV[1], ARGV[4], ARGV[5], false)
end
if not pushed then
  redis.call('DEL', KEYS[1])
  if last_raw then  -- not handled: put "last" back, so that the tick is tried again
    redis.call('HSET', KEYS[2], ARGV[2], last_raw)
  else
    redis.call('HDEL', KEYS[2], ARGV[2])
  end
  return -1
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[6] .. ' ' .. ARGV[3])
return 1

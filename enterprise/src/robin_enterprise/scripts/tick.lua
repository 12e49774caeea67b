-- tick.lua: enqueue one tick of a periodic job, exactly once fleet-wide.
-- The tick's key is set (NX) and the job pushed in one atomic step: two leaders
-- overlapping during a hand-over cannot both enqueue it, and no crash can separate the
-- record from the push.
-- KEYS[1] = {ns}:plugin:enterprise:tick:<id>:<tick>
-- KEYS[2] = {ns}:plugin:enterprise:periodic:last   KEYS[3] = {ns}:plugin:enterprise:periodic:job
-- ARGV[1] = core prefix "{ns}:"   ARGV[2] = schedule id   ARGV[3] = tick (unix s)
-- ARGV[4] = queue   ARGV[5] = payload   ARGV[6] = jid   ARGV[7] = seconds to remember the tick
-- Returns 1 if enqueued now, 0 if it had been already.
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if tonumber(ARGV[3]) > last then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
if not redis.call('SET', KEYS[1], ARGV[6], 'NX', 'EX', tonumber(ARGV[7])) then
  return 0
end
if not robin_push(ARGV[1], ARGV[4], ARGV[5], false) then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[6] .. ' ' .. ARGV[3])
return 1

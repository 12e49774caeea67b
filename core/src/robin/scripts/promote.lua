-- promote.lua: move due jobs from a sorted set to their queues, atomically.
-- Any process may run it at any time: a job removed by ZREM here is pushed in the
-- same script, so it is never lost between the two and never moved twice.
-- KEYS[1] = {ns}:schedule or {ns}:retry (score = unix time the job is due)
-- ARGV[1] = key prefix "{ns}:"   ARGV[2] = now (unix s)   ARGV[3] = most jobs to move
-- Returns how many jobs were moved.
local prefix = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local moved = 0
for _, payload in ipairs(due) do
  if redis.call('ZREM', KEYS[1], payload) == 1 then
    if robin_push(prefix, robin_queue_of(payload), payload, false) then
      moved = moved + 1
    else
      -- its queue key holds something else: keep it scheduled (an hour on, to be seen again)
      redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + 3600, payload)
    end
  end
end
return moved

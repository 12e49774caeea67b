-- push.lua: put new jobs on a queue (enqueue, enqueue_many).  One round trip.
-- KEYS[1] = {ns}:queue:<name>   the queue (LPUSH: the newest job is at the head)
-- KEYS[2] = {ns}:queues         set of known queue names
-- KEYS[3] = {ns}:ready:<name>   wake-up tokens of the queue's idle workers
-- ARGV[1] = queue name
-- ARGV[2..n] = payloads (JSON)
-- Returns the length of the queue after the push.
local len = redis.call('LPUSH', KEYS[1], unpack(ARGV, 2))
redis.call('SADD', KEYS[2], ARGV[1])
if len == #ARGV - 1 then
  -- the queue was empty, so its workers may be asleep: wake one
  redis.call('LPUSH', KEYS[3], '1')
  redis.call('LTRIM', KEYS[3], 0, 7)
end
return len

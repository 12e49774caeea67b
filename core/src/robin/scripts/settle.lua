-- settle.lua: settle a batch of jobs a process finished, atomically, in one round trip.
-- A job is settled, and counted in the statistics, only if it is still in the
-- in-flight list: a job recovered meanwhile (its process was thought dead), or a
-- batch sent again after a lost reply, is never settled or counted twice.
-- KEYS[1] = {ns}:inflight:<identity>
-- KEYS[2] = {ns}:retry              KEYS[3] = {ns}:schedule
-- KEYS[4] = {ns}:stat:processed     KEYS[5] = {ns}:stat:failed
-- KEYS[6] = {ns}:stat:processed:<day>  KEYS[7] = {ns}:stat:failed:<day>
-- ARGV[1] = key prefix "{ns}:"   ARGV[2] = now (unix s)
-- ARGV[3] = dead set: most jobs  ARGV[4] = dead set: most age (s)
-- ARGV[5] = TTL of per-day statistics (s)
-- ARGV[6] = A, the number of plain acknowledgements that follow
-- ARGV[7..6+A] = payloads in flight to acknowledge: done or skipped (processed).  The
--   common case gets one value each instead of four: fewer bytes to build and send.
-- ARGV[7+A..] = other operations, four values each: kind, payload in flight, new payload, arg
--   'a' acknowledge: done or skipped                         (processed)
--   'x' acknowledge a failed job that is discarded (retry=False) (processed, failed)
--   'r' retry:      ZADD retry <arg: due time> <new payload>  (processed, failed)
--   'd' dead:       ZADD dead <now> <new payload>, capped     (processed, failed)
--   's' reschedule: ZADD schedule <arg: due time> <new payload>
--   'q' requeue:    <new payload> back to the front of queue <arg> (shutdown)
-- Returns how many operations found their job in flight.
local prefix, now = ARGV[1], tonumber(ARGV[2])
local dead_max, dead_age = tonumber(ARGV[3]), tonumber(ARGV[4])
local settled, processed, failed = 0, 0, 0
local acks = tonumber(ARGV[6])
for i = 7, 6 + acks do
  if redis.call('LREM', KEYS[1], -1, ARGV[i]) == 1 then
    settled, processed = settled + 1, processed + 1
  end
end
for i = 7 + acks, #ARGV, 4 do
  local kind, old, new, arg = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('LREM', KEYS[1], -1, old) == 1 then
    -- The job is out of the in-flight list: it must land somewhere.  If its destination
    -- cannot take it (a key of the wrong type), it goes back in flight, untouched.
    local ok = true
    if kind == 'r' then
      ok = robin_zadd(KEYS[2], arg, new)
    elseif kind == 'd' then
      ok = robin_bury(prefix, new, now, dead_max, dead_age)
    elseif kind == 's' then
      ok = robin_zadd(KEYS[3], arg, new)
    elseif kind == 'q' then
      ok = robin_push(prefix, arg, new, true)
    end
    if not ok then
      redis.call('LPUSH', KEYS[1], old)
    else
      settled = settled + 1
      if kind == 'a' then
        processed = processed + 1
      elseif kind == 'x' or kind == 'r' or kind == 'd' then
        processed, failed = processed + 1, failed + 1
      end
    end
  end
end
local ttl = tonumber(ARGV[5])
if processed > 0 then
  redis.call('INCRBY', KEYS[4], processed)
  redis.call('INCRBY', KEYS[6], processed)
  redis.call('EXPIRE', KEYS[6], ttl)
end
if failed > 0 then
  redis.call('INCRBY', KEYS[5], failed)
  redis.call('INCRBY', KEYS[7], failed)
  redis.call('EXPIRE', KEYS[7], ttl)
end
return settled

-- move.lua: move chosen entries of a sorted set to their queues or to the dead set,
-- each atomically (the data API's retry, kill, retry_all and kill_all).
-- An entry moves only if it is still in the set, so two operators acting at once never
-- move a job twice; if its destination refuses it, it stays where it was.
-- KEYS[1] = the sorted set: {ns}:schedule, {ns}:retry or {ns}:dead
-- ARGV[1] = key prefix "{ns}:"   ARGV[2] = now (unix s)
-- ARGV[3] = dead set: most jobs  ARGV[4] = dead set: most age (s)
-- ARGV[5..] = three values per entry: member, new payload, destination
--             (a queue name, or '' for the dead set)
-- Returns how many entries moved.
local prefix, now = ARGV[1], tonumber(ARGV[2])
local dead_max, dead_age = tonumber(ARGV[3]), tonumber(ARGV[4])
local moved = 0
for i = 5, #ARGV, 3 do
  local member, new, destination = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local score = redis.call('ZSCORE', KEYS[1], member)
  if score and redis.call('ZREM', KEYS[1], member) == 1 then
    local ok
    if destination == '' then
      ok = robin_bury(prefix, new, now, dead_max, dead_age)
    else
      ok = robin_push(prefix, destination, new, false)
    end
    if ok then
      moved = moved + 1
    else
      redis.call('ZADD', KEYS[1], score, member)
    end
  end
end
return moved

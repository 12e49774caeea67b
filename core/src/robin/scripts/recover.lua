-- recover.lua: hand back the in-flight jobs of a process that died.
-- Runs only while the process' lease is gone (it stopped heartbeating); each job
-- moves only if it is still in that process' in-flight list, so two processes
-- recovering at once never move a job twice.
-- KEYS[1] = {ns}:process:<identity>    the dead process' lease (must not exist)
-- KEYS[2] = {ns}:inflight:<identity>
-- ARGV[1] = key prefix "{ns}:"   ARGV[2] = now (unix s)
-- ARGV[3] = dead set: most jobs  ARGV[4] = dead set: most age (s)
-- ARGV[5..] = three values per job: payload in flight, new payload, queue name
--             (an empty queue name sends the job to the dead set: a poison pill)
-- Returns how many jobs were moved, or -1 if the process is alive after all.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local prefix, now = ARGV[1], tonumber(ARGV[2])
local dead_max, dead_age = tonumber(ARGV[3]), tonumber(ARGV[4])
local moved = 0
for i = 5, #ARGV, 3 do
  local old, new, queue = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('LREM', KEYS[2], -1, old) == 1 then
    local ok
    if queue == '' then
      ok = robin_bury(prefix, new, now, dead_max, dead_age)
    else
      ok = robin_push(prefix, queue, new, true)
    end
    if ok then
      moved = moved + 1
    else
      redis.call('LPUSH', KEYS[2], old)  -- its destination refused it: leave it where it was
    end
  end
end
return moved

-- unregister.lua: remove a process from the registry.
-- The process stays listed in {ns}:processes while it still has jobs in flight:
-- that listing is how other processes find the jobs to recover.
-- KEYS[1] = {ns}:processes   KEYS[2] = {ns}:process:<identity> (lease)
-- KEYS[3] = {ns}:work:<identity>       KEYS[4] = {ns}:inflight:<identity>
-- KEYS[5] = {ns}:started:<identity>    KEYS[6] = {ns}:signals:<identity>
-- KEYS[7] = {ns}:wake:<identity>
-- ARGV[1] = identity
-- ARGV[2] = '1' to act only if the lease is gone (cleaning up after a dead process)
-- Returns 1 if removed, 0 if kept because jobs are in flight, -1 if the process is alive.
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[6], KEYS[7])
if redis.call('LLEN', KEYS[4]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[5])
  return 1
end
return 0

-- unlock.lua: release a unique job's lock, only if this job holds it.
-- KEYS[1] = {ns}:plugin:enterprise:unique:<digest>   ARGV[1] = the jid that took it
-- Returns 1 if released, 0 if another job holds it (or nobody does).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

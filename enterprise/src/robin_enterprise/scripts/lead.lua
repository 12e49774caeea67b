-- lead.lua: take or keep the fleet's leadership (a lease on one key).
-- KEYS[1] = {ns}:plugin:enterprise:leader   ARGV[1] = identity   ARGV[2] = lease (ms)
-- ARGV[3] = '1' to give it up instead (at shutdown)
-- Returns 1 if this process is the leader now, 0 if another one is.
local holder = redis.call('GET', KEYS[1])
if ARGV[3] == '1' then
  if holder == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 0
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0

-- fetch.lua: reliable fetch of up to N jobs, in one round trip.
-- Jobs move atomically from their queues to the process' in-flight list, where
-- they stay until settled (settle.lua) or recovered after the process died
-- (recover.lua): a job is never only in the memory of a process.
-- KEYS[1]        = {ns}:inflight:<identity>
-- KEYS[2..n+1]   = {ns}:queue:<name>, in the order to take from (priority/weights)
-- KEYS[n+2..2n+1]= {ns}:ready:<name>, the same queues' wake-up token lists
-- ARGV[1] = the most jobs to take
-- Returns the payloads taken, oldest first.
local want = tonumber(ARGV[1])
local n = (#KEYS - 1) / 2
local taken = {}
for i = 1, n do
  if want <= 0 then
    break
  end
  local items = redis.call('RPOP', KEYS[1 + i], want)
  if items then
    redis.call('LPUSH', KEYS[1], unpack(items))
    for _, item in ipairs(items) do
      taken[#taken + 1] = item
    end
    want = want - #items
  end
end
if want <= 0 then
  -- a full batch: if work is left, wake another idle worker to share it
  for i = 1, n do
    if redis.call('LLEN', KEYS[1 + i]) > 0 then
      redis.call('LPUSH', KEYS[1 + n + i], '1')
      redis.call('LTRIM', KEYS[1 + n + i], 0, 7)
      break
    end
  end
end
return taken

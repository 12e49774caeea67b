-- fetch.lua: reliable fetch of up to N jobs, in one round trip.
-- Jobs move atomically from their queues to the process' in-flight list, where
-- they stay until settled (settle.lua) or recovered after the process died
-- (recover.lua): a job is never only in the memory of a process.
-- A process whose lease is gone fetches nothing: other processes may be recovering
-- its jobs, and it may no longer be listed where recovery looks.  It must renew its
-- lease (heartbeat.lua) first.
-- KEYS[1]         = {ns}:process:<identity>   the lease, which must exist
-- KEYS[2]         = {ns}:inflight:<identity>
-- KEYS[3..n+2]    = {ns}:queue:<name>, in the order to take from (priority/weights)
-- KEYS[n+3..2n+2] = {ns}:ready:<name>, the same queues' wake-up token lists
-- ARGV[1] = the most jobs to take (the caller keeps it at 1,000 or less)
-- Returns the payloads taken, oldest first, or -1 if the lease is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local want = tonumber(ARGV[1])
local n = (#KEYS - 2) / 2
local taken = {}
for i = 1, n do
  if want <= 0 then
    break
  end
  local items = redis.call('RPOP', KEYS[2 + i], want)
  if items then
    -- LPUSH in slices: unpack() of thousands of values overflows Lua's stack
    for first = 1, #items, 500 do
      redis.call('LPUSH', KEYS[2], unpack(items, first, math.min(first + 499, #items)))
    end
    for _, item in ipairs(items) do
      taken[#taken + 1] = item
    end
    want = want - #items
  end
end
if want <= 0 then
  -- a full batch: if work is left, wake another idle worker to share it
  for i = 1, n do
    if redis.call('LLEN', KEYS[2 + i]) > 0 then
      redis.call('LPUSH', KEYS[2 + n + i], '1')
      redis.call('LTRIM', KEYS[2 + n + i], 0, 7)
      break
    end
  end
end
return taken

-- register.lua: add jobs to a batch, and (when the block closes) check whether it is done.
-- ARGV[1] = core prefix   ARGV[2] = Pro prefix   ARGV[3] = bid
-- ARGV[4] = '1' to close the block   ARGV[5] = time to live after success (s)
-- ARGV[6] = time to live until success (s)   ARGV[7..] = jids (500 at most)
-- Returns the number of jobs the batch holds.
if redis.replicate_commands then redis.replicate_commands() end
local ns, pp, bid = ARGV[1], ARGV[2], ARGV[3]
local meta = bkey(pp, bid)
if redis.call('EXISTS', meta) == 0 then
  return -1  -- its data expired: the jobs run all the same
end
if #ARGV >= 7 then
  redis.call('SADD', bkey(pp, bid, 'jids'), unpack(ARGV, 7))
  redis.call('EXPIRE', bkey(pp, bid, 'jids'), tonumber(ARGV[6]))
end
if ARGV[4] == '1' then
  redis.call('HINCRBY', meta, 'open', -1)
  batch_check(ns, pp, bid, server_now(), tonumber(ARGV[5]), 0)
end
return redis.call('SCARD', bkey(pp, bid, 'jids'))

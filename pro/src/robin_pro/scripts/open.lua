-- open.lua: open a block that adds jobs to a batch (creating the batch the first time).
-- While any block is open, the batch cannot complete: jobs added in it may run (and
-- finish) before the block registers them when it closes.
-- ARGV[1] = core prefix "{ns}:"   ARGV[2] = Pro prefix "{ns}:plugin:pro:"
-- ARGV[3] = bid   ARGV[4] = parent bid or ''   ARGV[5] = description (JSON)
-- ARGV[6] = token   ARGV[7] = time to live until success (s)
-- ARGV[8..] = callbacks to store: event, payload, event, payload, ...
-- Returns 1 if the batch was created, 0 if it existed.
if redis.replicate_commands then redis.replicate_commands() end
local ns, pp, bid = ARGV[1], ARGV[2], ARGV[3]
local meta = bkey(pp, bid)
local created = 0
if redis.call('EXISTS', meta) == 0 then
  local now = server_now()
  redis.call('HSET', meta, 'description', ARGV[5], 'created_at', now, 'parent', ARGV[4], 'open', 0,
             'token', ARGV[6])
  redis.call('ZADD', pp .. 'batches', now, bid)
  if ARGV[4] ~= '' and redis.call('EXISTS', bkey(pp, ARGV[4])) == 1 then
    redis.call('SADD', bkey(pp, ARGV[4], 'children'), bid)
  end
  created = 1
end
redis.call('HINCRBY', meta, 'open', 1)
for i = 8, #ARGV, 2 do
  redis.call('RPUSH', bkey(pp, bid, 'cb:' .. ARGV[i]), ARGV[i + 1])
end
if created == 1 then batch_expire(pp, bid, tonumber(ARGV[7])) end
return created

-- commit.lua: what a batch.jobs() block enqueued, committed in one atomic step:
-- create the batch (the first time), link it to its parent, store its callbacks,
-- register the jobs and push them.  A block that raised or whose process died commits
-- nothing, so nothing half-made is left behind; a commit sent twice (a lost reply) is
-- applied once (its id is remembered).  A block of more than one chunk holds the batch
-- open between its first and last chunk.
-- KEYS[1] = {ns}:plugin:pro:batch:<bid>  (the batch's hash: it routes the script)
-- ARGV[1] = core prefix "{ns}:"   ARGV[2] = Pro prefix "{ns}:plugin:pro:"   ARGV[3] = bid
-- ARGV[4] = commit id   ARGV[5] = '1' to create the batch if it does not exist
-- ARGV[6] = parent bid or ''   ARGV[7] = description (JSON)
-- ARGV[8] = this chunk's place: 'only', 'first', 'middle' or 'last'
-- ARGV[9] = time to live after success (s)   ARGV[10] = time to live at most (s)
-- ARGV[11] = number of callbacks C, then C pairs: event, payload
-- then four values per job: jid, queue, due time ('' = now), payload
-- Returns the number of jobs in the batch, 0 if this commit was applied before, or -1 if
-- the batch does not exist (its data expired): the jobs are pushed all the same.
if redis.replicate_commands then redis.replicate_commands() end
local ns, pp, bid = ARGV[1], ARGV[2], ARGV[3]
local meta = KEYS[1]
local success_ttl, max_ttl = tonumber(ARGV[9]), tonumber(ARGV[10])
local now = server_now()
local callbacks = tonumber(ARGV[11])
local first_job = 12 + callbacks * 2

local function push_jobs(register)
  for i = first_job, #ARGV, 4 do
    local jid, queue, due, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    if register then
      redis.call('SADD', bkey(pp, bid, 'jids'), jid)
    end
    if due ~= '' then
      robin_zadd(ns .. 'schedule', due, payload)
    else
      robin_push(ns, queue, payload, false)
    end
  end
end

if redis.call('EXISTS', meta) == 0 then
  if ARGV[5] ~= '1' then
    push_jobs(false)  -- the batch's data expired: its jobs still run, without it
    return -1
  end
  redis.call('HSET', meta, 'description', ARGV[7], 'created_at', now, 'parent', ARGV[6], 'open', 0)
  redis.call('EXPIRE', meta, max_ttl)
  redis.call('ZADD', pp .. 'batches', now, bid)
  redis.call('ZREMRANGEBYSCORE', pp .. 'batches', '-inf', tonumber(now) - max_ttl)
  if ARGV[6] ~= '' and redis.call('EXISTS', bkey(pp, ARGV[6])) == 1 then
    redis.call('SADD', bkey(pp, ARGV[6], 'children'), bid)
    touch(bkey(pp, ARGV[6], 'children'), max_ttl)
  end
end
if redis.call('SADD', bkey(pp, bid, 'commits'), ARGV[4]) == 0 then
  return 0
end
touch(bkey(pp, bid, 'commits'), max_ttl)
for i = 12, first_job - 1, 2 do
  redis.call('RPUSH', bkey(pp, bid, 'cb:' .. ARGV[i]), ARGV[i + 1])
  touch(bkey(pp, bid, 'cb:' .. ARGV[i]), max_ttl)
end
local place = ARGV[8]
if place == 'first' then
  redis.call('HINCRBY', meta, 'open', 1)
end
push_jobs(true)
touch(bkey(pp, bid, 'jids'), max_ttl)
if place == 'last' then
  redis.call('HINCRBY', meta, 'open', -1)
end
if place == 'only' or place == 'last' then
  batch_check(ns, pp, bid, now, success_ttl, max_ttl, 0)
end
return redis.call('SCARD', bkey(pp, bid, 'jids'))

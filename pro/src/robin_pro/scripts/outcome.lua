-- outcome.lua: record what happened to one job of a batch, and fire what that completes.
-- Idempotent per job: a job run twice (at-least-once delivery) still counts once.
-- KEYS[1] = {ns}:plugin:pro:batch:<bid>  (the batch's hash: it routes the script)
-- ARGV[1] = core prefix   ARGV[2] = Pro prefix   ARGV[3] = bid   ARGV[4] = jid
-- ARGV[5] = 'success', 'failure' or 'death'
-- ARGV[6] = time to live after success (s)   ARGV[7] = time to live at most (s)
-- Returns 1, or 0 if the batch's data is gone (expired): the job ran all the same.
if redis.replicate_commands then redis.replicate_commands() end
local ns, pp, bid, jid, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local now = server_now()
local max_ttl = tonumber(ARGV[7])
local function add(part)
  redis.call('SADD', bkey(pp, bid, part), jid)
  touch(bkey(pp, bid, part), max_ttl)
end
if outcome == 'success' then
  add('ran')
  add('succeeded')
  redis.call('SREM', bkey(pp, bid, 'failed'), jid)
elseif outcome == 'failure' then
  add('ran')
  if redis.call('SISMEMBER', bkey(pp, bid, 'succeeded'), jid) == 0 then add('failed') end
elseif outcome == 'death' then
  add('ran')
  add('dead')
  batch_fire(ns, pp, bid, 'death', now)  -- the first death of the batch only
end
batch_check(ns, pp, bid, now, tonumber(ARGV[6]), max_ttl, 0)
return 1

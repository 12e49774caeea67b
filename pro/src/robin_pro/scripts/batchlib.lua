-- batchlib.lua: what the batch scripts share (prepended to each; see batch.py).
-- A batch is done when no block that adds jobs to it is open, and:
--   complete - every registered job ran at least once, and every child batch is complete;
--   success  - every registered job succeeded, and every child batch succeeded.
-- Each callback is pushed at most once, by HSETNX on its fired_<event> flag, in the same
-- script that saw the condition: two processes finishing the last jobs at the same
-- moment cannot both fire it, and a crash cannot separate the flag from the push.

local function bkey(pp, bid, part)
  if part then
    return pp .. 'batch:' .. bid .. ':' .. part
  end
  return pp .. 'batch:' .. bid
end

local BATCH_PARTS = {'jids', 'ran', 'succeeded', 'failed', 'dead', 'children', 'children_complete',
                     'children_succeeded', 'cb:complete', 'cb:success', 'cb:death', 'commits'}

-- Every key of a batch lives at most MAX_TTL (a batch that never succeeds must not stay
-- forever): a key created without a time to live gets one here.
local function touch(key, ttl)
  if redis.call('TTL', key) == -1 then
    redis.call('EXPIRE', key, ttl)
  end
end

-- Give every key of a batch a time to live (they are all created without one).
local function batch_expire(pp, bid, ttl)
  redis.call('EXPIRE', bkey(pp, bid), ttl)
  for _, part in ipairs(BATCH_PARTS) do
    redis.call('EXPIRE', bkey(pp, bid, part), ttl)
  end
end

-- The BatchStatus-shaped object a callback receives as its first argument.  complete and
-- succeeded say which callbacks have fired (batch_fire sets the flag before it calls this).
local function batch_status(pp, bid)
  local meta = bkey(pp, bid)
  local complete = redis.call('HEXISTS', meta, 'fired_complete') == 1
  local succeeded = redis.call('HEXISTS', meta, 'fired_success') == 1
  local total = redis.call('SCARD', bkey(pp, bid, 'jids'))
  local pending = total - redis.call('SCARD', bkey(pp, bid, 'succeeded'))
  if pending < 0 then pending = 0 end
  local failed = redis.call('SMEMBERS', bkey(pp, bid, 'failed'))
  local failed_json = '[]'
  if #failed > 0 then failed_json = cjson.encode(failed) end
  local parent = redis.call('HGET', meta, 'parent') or ''
  local parent_json = 'null'
  if parent ~= '' then parent_json = cjson.encode(parent) end
  return '{"bid":' .. cjson.encode(bid)
    .. ',"description":' .. (redis.call('HGET', meta, 'description') or 'null')
    .. ',"total":' .. total .. ',"pending":' .. pending
    .. ',"failures":' .. #failed .. ',"failed_jids":' .. failed_json
    .. ',"deaths":' .. redis.call('SCARD', bkey(pp, bid, 'dead'))
    .. ',"complete":' .. tostring(complete) .. ',"succeeded":' .. tostring(succeeded)
    .. ',"parent":' .. parent_json
    .. ',"created_at":' .. (redis.call('HGET', meta, 'created_at') or '0') .. '}'
end

-- Push the callbacks of `event`, once ever.  Each stored payload carries two markers:
-- one where the status object goes (the first argument), one for the time it is enqueued.
local function batch_fire(ns, pp, bid, event, now)
  local meta = bkey(pp, bid)
  if redis.call('HSETNX', meta, 'fired_' .. event, now) == 0 then
    return false
  end
  local status = batch_status(pp, bid)
  local status_mark = '"__robin_batch_status__"'
  local time_mark = '"__robin_enqueued_at__"'
  for _, template in ipairs(redis.call('LRANGE', bkey(pp, bid, 'cb:' .. event), 0, -1)) do
    local payload = template
    local i, j = string.find(payload, status_mark, 1, true)
    if i then payload = string.sub(payload, 1, i - 1) .. status .. string.sub(payload, j + 1) end
    i, j = string.find(payload, time_mark, 1, true)
    if i then payload = string.sub(payload, 1, i - 1) .. now .. string.sub(payload, j + 1) end
    robin_push(ns, robin_queue_of(payload), payload, false)
  end
  return true
end

local batch_check
-- See whether a batch (then its parent, and so on) just became complete or successful.
batch_check = function(ns, pp, bid, now, success_ttl, max_ttl, depth)
  local meta = bkey(pp, bid)
  if depth > 50 or redis.call('EXISTS', meta) == 0 then
    return
  end
  if tonumber(redis.call('HGET', meta, 'open') or '0') > 0 then
    return
  end
  local total = redis.call('SCARD', bkey(pp, bid, 'jids'))
  local children = redis.call('SCARD', bkey(pp, bid, 'children'))
  local complete = redis.call('SCARD', bkey(pp, bid, 'ran')) >= total
    and redis.call('SCARD', bkey(pp, bid, 'children_complete')) >= children
  local succeeded = redis.call('SCARD', bkey(pp, bid, 'succeeded')) >= total
    and redis.call('SCARD', bkey(pp, bid, 'children_succeeded')) >= children
  local parent = redis.call('HGET', meta, 'parent') or ''
  local changed = false
  if complete and batch_fire(ns, pp, bid, 'complete', now) then
    changed = true
    if parent ~= '' then
      redis.call('SADD', bkey(pp, parent, 'children_complete'), bid)
      touch(bkey(pp, parent, 'children_complete'), max_ttl)
    end
  end
  if succeeded and batch_fire(ns, pp, bid, 'success', now) then
    changed = true
    if parent ~= '' then
      redis.call('SADD', bkey(pp, parent, 'children_succeeded'), bid)
      touch(bkey(pp, parent, 'children_succeeded'), max_ttl)
    end
    batch_expire(pp, bid, success_ttl)  -- done: its data may go after the retention period
  end
  if changed and parent ~= '' then
    batch_check(ns, pp, parent, now, success_ttl, max_ttl, depth + 1)
  end
end

local function server_now()
  local t = redis.call('TIME')
  return string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
end

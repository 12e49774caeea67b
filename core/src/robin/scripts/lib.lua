-- lib.lua: helpers prepended to every script whose body calls a robin_* function
-- (see scripts/__init__.py).  Keys built here start with the namespace prefix
-- "{ns}:", which holds the hash tag: they are in the same hash slot as the KEYS
-- the script was given, so scripts stay valid on Redis Cluster.

-- Wake one idle worker listening to a queue.  A handful of tokens is plenty: each
-- woken worker fetches a batch and passes the baton on if work is left.
local function robin_wake(ready_key)
  redis.call('LPUSH', ready_key, '1')
  redis.call('LTRIM', ready_key, 0, 7)
end

-- The queue a payload belongs to.  Read-only: the payload itself is never
-- re-encoded in Lua (cjson would turn [] into {} and round floats).
local function robin_queue_of(payload)
  local ok, job = pcall(cjson.decode, payload)
  if ok and type(job) == 'table' and type(job['queue']) == 'string' and job['queue'] ~= '' then
    return job['queue']
  end
  return 'default'
end

-- Put a payload on a queue: at the back of the line (LPUSH), or at the front
-- (RPUSH) for jobs that were already taken once and are handed back.
-- Returns false (and pushes nothing) if the queue key holds something else than a list.
local function robin_push(prefix, queue, payload, front)
  local key = prefix .. 'queue:' .. queue
  local len = redis.pcall(front and 'RPUSH' or 'LPUSH', key, payload)
  if type(len) == 'table' and len.err then
    redis.log(redis.LOG_WARNING, 'robin: cannot push to ' .. key .. ': ' .. len.err)
    return false
  end
  redis.call('SADD', prefix .. 'queues', queue)
  if len == 1 then
    robin_wake(prefix .. 'ready:' .. queue)
  end
  return true
end

-- Add to the dead set, then cap it by age and by size.  Returns false if it could not.
local function robin_bury(prefix, payload, now, max_size, max_age)
  local key = prefix .. 'dead'
  local added = redis.pcall('ZADD', key, now, payload)
  if type(added) == 'table' and added.err then
    redis.log(redis.LOG_WARNING, 'robin: cannot add to ' .. key .. ': ' .. added.err)
    return false
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - max_age)
  redis.call('ZREMRANGEBYRANK', key, 0, -(max_size + 1))
  return true
end


-- ZADD that reports failure (a key of the wrong type) instead of aborting the script.
local function robin_zadd(key, score, member)
  local added = redis.pcall('ZADD', key, score, member)
  if type(added) == 'table' and added.err then
    redis.log(redis.LOG_WARNING, 'robin: cannot add to ' .. key .. ': ' .. added.err)
    return false
  end
  return true
end

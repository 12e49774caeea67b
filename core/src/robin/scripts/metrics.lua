-- metrics.lua: add a batch of per-job measurements to the current hour's hash.
-- KEYS[1] = {ns}:metrics:<YYYYMMDDHH>
-- ARGV[1] = seconds the hash is kept (a little over a day)
-- ARGV[2..] = field, increment, field, increment, ...
--             fields are "<job>|n" (executions), "<job>|f" (failures),
--             "<job>|ms" (total milliseconds) and "<job>|b<i>" (histogram bucket i)
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1

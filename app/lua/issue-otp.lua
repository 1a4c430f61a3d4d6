-- Issues an OTP in one atomic step. Refuses, in this order, a number locked by failed verifies (no SMS
-- to a number under attack), a send the SMS backlog would deliver too late (load shedding), and a send
-- over either rate limit; then stores the code's HMAC with its TTL and appends the SMS job. A refused
-- send writes nothing: no counter, no code, no job.
-- KEYS: 1 code hash, 2 phone rate counter, 3 tenant daily counter, 4 SMS job stream, 5 failure state
-- ARGV: 1 code HMAC, 2 otp id, 3 code TTL s, 4 phone limit, 5 phone window s, 6 daily cap,
--       7 daily counter TTL s, 8 max backlog (jobs), 9 max backlog age ms, 10.. stream entry fields
--       (name, value, …)
local function retry_after(key)
  local ttl = redis.call('TTL', key)
  if ttl < 1 then return 1 end
  return ttl
end

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local locked_until = tonumber(redis.call('HGET', KEYS[5], 'locked_until') or '0')
if locked_until > now_ms then return {'locked', math.ceil((locked_until - now_ms) / 1000)} end

-- Acknowledged jobs are deleted, so the stream holds exactly the undelivered backlog.
if redis.call('XLEN', KEYS[4]) >= tonumber(ARGV[8]) then return {'shed', 'backlog_length'} end
local oldest = redis.call('XRANGE', KEYS[4], '-', '+', 'COUNT', 1)[1]
if oldest then
  -- An entry id starts with the millisecond it was appended at.
  local appended_ms = tonumber(string.match(oldest[1], '^(%d+)'))
  if now_ms - appended_ms > tonumber(ARGV[9]) then return {'shed', 'backlog_age'} end
end

if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[4]) then
  return {'rate_limited', 'phone', retry_after(KEYS[2])}
end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[6]) then
  return {'rate_limited', 'tenant_daily', retry_after(KEYS[3])}
end

if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[7]) end

redis.call('HSET', KEYS[1], 'hmac', ARGV[1], 'otp_id', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])

local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[4], '*', unpack(fields))
return {'accepted'}

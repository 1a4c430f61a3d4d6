-- Issues an OTP in one atomic step: both rate limits, the code's HMAC with its TTL, the SMS job.
-- KEYS: 1 code hash, 2 phone rate counter, 3 tenant daily counter, 4 SMS job stream
-- ARGV: 1 code HMAC, 2 otp id, 3 code TTL s, 4 phone limit, 5 phone window s, 6 daily cap,
--       7 daily counter TTL s, 8.. stream entry fields (name, value, …)
local function retry_after(key)
  local ttl = redis.call('TTL', key)
  if ttl < 1 then return 1 end
  return ttl
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
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[4], '*', unpack(fields))
return {'accepted'}

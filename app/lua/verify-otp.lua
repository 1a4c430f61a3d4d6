-- Verifies a code in one atomic step. Compares HMACs (never codes), counts failures across codes,
-- deletes the code on success (single use) and locks after the tenant's maximum.
-- KEYS: 1 code hash, 2 failed-attempt counter
-- ARGV: 1 submitted code HMAC, 2 max attempts, 3 lockout s
local max_attempts = tonumber(ARGV[2])
local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures >= max_attempts then
  local ttl = redis.call('TTL', KEYS[2])
  if ttl < 1 then ttl = 1 end
  return {'locked', ttl}
end

local stored = redis.call('HMGET', KEYS[1], 'hmac', 'otp_id')
if not stored[1] then return {'expired_or_unknown'} end

if stored[1] == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'approved', stored[2]}
end

failures = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if failures >= max_attempts then return {'locked', tonumber(ARGV[3])} end
return {'invalid', max_attempts - failures}

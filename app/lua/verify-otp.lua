-- Verifies a code in one atomic step. Compares HMACs (never codes) and deletes the code on success
-- (single use). A wrong code and no pending code are one outcome and take the same path, so neither
-- the answer nor the work done tells a caller whether a code is pending for the number.
-- Failure state (hash, TTL = failure window after the last counted failure):
--   consecutive    failures since the last success (only a success resets it)
--   since_lockout  failures since the last lockout
--   lockouts       escalating lockouts so far
--   locked_until   epoch ms
-- KEYS: 1 code hash, 2 failure state
-- ARGV: 1 submitted code HMAC, 2 failures per lockout, 3 max consecutive failures, 4 first lockout s,
--       5 lockout cap s, 6 failure window s
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local state = redis.call('HMGET', KEYS[2], 'consecutive', 'since_lockout', 'lockouts', 'locked_until')
local locked_until = tonumber(state[4] or '0')
-- Answered without comparing or counting: attempts while locked neither succeed nor extend the lock.
if locked_until > now_ms then return {'locked', math.ceil((locked_until - now_ms) / 1000)} end

local stored = redis.call('HMGET', KEYS[1], 'hmac', 'otp_id')
if stored[1] == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'approved', stored[2]}
end

local per_lockout = tonumber(ARGV[2])
local window = tonumber(ARGV[6])
local consecutive = tonumber(state[1] or '0') + 1
local since_lockout = tonumber(state[2] or '0') + 1
local lockouts = tonumber(state[3] or '0')

local lock_seconds = 0
if consecutive >= tonumber(ARGV[3]) then
  -- The hard bound: locked until the state itself expires, one window after this failure.
  lock_seconds = window
elseif since_lockout >= per_lockout then
  lockouts = lockouts + 1
  lock_seconds = math.min(tonumber(ARGV[4]) * 2 ^ (lockouts - 1), tonumber(ARGV[5]))
  since_lockout = 0
end
if lock_seconds > 0 then locked_until = now_ms + lock_seconds * 1000 end

redis.call('HSET', KEYS[2], 'consecutive', consecutive, 'since_lockout', since_lockout, 'lockouts', lockouts,
  'locked_until', locked_until)
-- A lockout longer than the window must not be cut short by the state expiring.
redis.call('EXPIRE', KEYS[2], math.max(window, lock_seconds))
if lock_seconds > 0 then return {'locked', lock_seconds} end
return {'invalid', math.min(per_lockout - since_lockout, tonumber(ARGV[3]) - consecutive)}

-- Moves one dead-letter entry back onto the job stream, atomically: the entry leaves the
-- dead-letter stream only in the script that appended its job, so it is never lost nor duplicated
-- (a concurrent re-drive that already moved it finds it gone and does nothing).
-- KEYS[1] dead-letter stream, KEYS[2] job stream; ARGV[1] the entry id, ARGV[2..] the job's fields.
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then
  return 0
end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('XDEL', KEYS[1], ARGV[1])
return 1

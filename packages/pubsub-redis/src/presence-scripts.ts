/**
 * Lua scripts of the Redis presence registry. Each runs atomically on the Redis server and reads the
 * time from Redis (`TIME`), so servers with skewed clocks agree on what has expired.
 *
 * Keys: `<prefix>presence:<userId>` is a sorted set of the user's connections (`<nodeId>:<connectionId>`
 * scored by expiry in ms); `<prefix>presence:users` is a sorted set of users scored by the latest expiry
 * of any of their connections, which the sweeper reads to find users whose node died.
 */

/** Shared prelude: `now` in ms from the Redis clock. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Register a connection. KEYS: user set, users index. ARGV: member, ttl ms, userId.
 * Returns the number of live connections the user had before (0 means now online).
 */
export const CONNECT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then before = before - 1 end
local expiry = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expiry, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
redis.call('ZADD', KEYS[2], 'GT', expiry, ARGV[3])
return before`;

/**
 * Unregister a connection. KEYS: user set, users index. ARGV: member, userId.
 * Returns 1 when it was the user's last live connection anywhere, else 0 (also when it was not there).
 */
export const DISCONNECT = `${NOW}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`;

/**
 * Refresh this node's connections. KEYS: user sets, then the users index last.
 * ARGV: ttl ms, then per user key: userId and member. Only refreshes members still present (XX), so a
 * heartbeat racing a disconnect cannot bring a closed connection back. Returns the indexes (1-based)
 * of members that were missing.
 */
export const HEARTBEAT = `${NOW}
local ttl = tonumber(ARGV[1])
local expiry = now + ttl
local index = KEYS[#KEYS]
local missing = {}
for i = 1, #KEYS - 1 do
  local userId = ARGV[i * 2]
  local member = ARGV[i * 2 + 1]
  if redis.call('ZADD', KEYS[i], 'XX', 'CH', expiry, member) == 0 and redis.call('ZSCORE', KEYS[i], member) == false then
    table.insert(missing, i)
  else
    redis.call('PEXPIRE', KEYS[i], ttl * 2)
    redis.call('ZADD', index, 'GT', expiry, userId)
  end
end
return missing`;

/** Count live connections. KEYS: user sets. Returns one count per key. */
export const ONLINE = `${NOW}
local out = {}
for i = 1, #KEYS do out[i] = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf') end
return out`;

/**
 * Claim a user whose connections all expired (their node died). KEYS: user set, users index.
 * ARGV: userId. Returns the time of the latest expiry when this caller claimed the user (exactly one
 * caller does), else -1 (still online, or already claimed).
 */
export const SWEEP = `${NOW}
local last = redis.call('ZSCORE', KEYS[2], ARGV[1])
if last == false then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top > 0 then
  redis.call('ZADD', KEYS[2], top[2], ARGV[1])
  return -1
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return tonumber(last)`;

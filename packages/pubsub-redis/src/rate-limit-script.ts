/**
 * The token bucket of {@link createRedisRateLimiter} as one Lua script, so a `take` is one round trip
 * and atomic on the Redis server. Time comes from Redis (`TIME`), so every node agrees.
 *
 * KEYS[1]: the bucket, a hash { tokens, at }. ARGV: limit, windowMs, cost.
 * Returns { allowed (1|0), retryAfterMs, remaining (rounded down) }. A refused take writes nothing.
 * The key expires after one window without a take: by then the bucket is full again anyway.
 */
export const TAKE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tokens = limit
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
if saved[1] then
  local elapsed = math.max(0, now - tonumber(saved[2]))
  tokens = math.min(limit, tonumber(saved[1]) + elapsed * limit / window)
end
if tokens < cost then
  return { 0, math.max(1, math.ceil((cost - tokens) * window / limit)), math.floor(tokens) }
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(window))
return { 1, 0, math.floor(tokens) }`;

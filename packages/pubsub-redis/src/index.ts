/**
 * `@parley/pubsub-redis`: run Parley on many servers with Redis.
 *
 * - {@link createRedisPubSub}: the core `PubSub` on Redis Pub/Sub (one channel per topic, subscribed
 *   only while a local handler needs it).
 * - {@link createRedisPresence}: who is online across every server, with expiry of dead servers.
 * - {@link announceExpired}: announce users whose server died as offline.
 * - {@link createRedisRateLimiter}: the core `RateLimiter` shared by every server (one Lua script a take).
 *
 * Each works on a single Redis and on a Redis Cluster (ioredis `Cluster`; the bus then uses sharded
 * pub/sub, and every key carries a hash tag so each script touches one slot).
 *
 * @packageDocumentation
 */
export { createRedisPubSub, type RedisPubSub, type RedisPubSubOptions, type RedisPubSubConnections, type RedisClient } from './redis-pubsub.js';
export { createRedisPresence, type RedisPresence, type RedisPresenceOptions, type ExpiredListener } from './redis-presence.js';
export { announceExpired } from './announce-expired.js';
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';

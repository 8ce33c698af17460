import { runRateLimiterConformance } from '@parley/core/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../src/index.js';
import { client, probeRedis, uniquePrefix } from './redis-env.js';

const available = await probeRedis('@parley/pubsub-redis rate limiter');

if (available) {
  const shared = client();
  const clients: Redis[] = [shared];
  afterAll(() => clients.forEach((c) => c.disconnect()));
  const prefix = uniquePrefix();
  runRateLimiterConformance({
    name: 'redis (single)',
    shared: true,
    create: () => {
      const c = client();
      clients.push(c);
      return createRedisRateLimiter({ redis: c, prefix });
    },
  });

  describe('createRedisRateLimiter', () => {
    it('one key per bucket, with a hash tag and an expiry of one window', async () => {
      const p = uniquePrefix();
      const limiter = createRedisRateLimiter({ redis: shared, prefix: p });
      await limiter.take({ key: 'user:ana', cost: 1, rule: { limit: 5, windowMs: 60_000 }, now: 0 });
      expect(await shared.keys(`${p}*`)).toEqual([`${p}rate:{user:ana}`]);
      const ttl = await shared.pttl(`${p}rate:{user:ana}`);
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await shared.del(`${p}rate:{user:ana}`);
    });

    it('a refused take writes nothing (no key for a bucket that only refused)', async () => {
      const p = uniquePrefix();
      const limiter = createRedisRateLimiter({ redis: shared, prefix: p });
      expect((await limiter.take({ key: 'k', cost: 9, rule: { limit: 5, windowMs: 1000 }, now: 0 })).retryAfterMs).toBe(Infinity);
      expect(await shared.keys(`${p}*`)).toEqual([]);
    });

    it('rejects when Redis cannot be reached (never allows silently)', async () => {
      const dead = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
      dead.on('error', () => {});
      const limiter = createRedisRateLimiter({ redis: dead });
      await expect(limiter.take({ key: 'k', cost: 1, rule: { limit: 5, windowMs: 1000 }, now: 0 })).rejects.toThrow();
      dead.disconnect();
    });

    it('rejects after timeoutMs when Redis does not answer (a client queueing commands offline)', async () => {
      const queued = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 50 });
      queued.on('error', () => {});
      const limiter = createRedisRateLimiter({ redis: queued, timeoutMs: 200 });
      const started = Date.now();
      await expect(limiter.take({ key: 'k', cost: 1, rule: { limit: 5, windowMs: 1000 }, now: 0 })).rejects.toThrow(/no answer/);
      expect(Date.now() - started).toBeLessThan(1500);
      queued.disconnect();
    });
  });
} else {
  describe('createRedisRateLimiter', () => {
    it.skip('needs a Redis server (see the printed reason)', () => {});
  });
}

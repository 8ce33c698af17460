import { createHash } from 'node:crypto';
import type { RateLimiter } from '@parley/core';
import type { RedisClient } from './redis-pubsub.js';
import { TAKE } from './rate-limit-script.js';

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** A regular (not subscriber) ioredis client, `Redis` or `Cluster`. The limiter never quits it. */
  redis: RedisClient;
  /** Key prefix; a bucket `k` lives at `<prefix>rate:{k}`. Default `parley:`. */
  prefix?: string;
  /**
   * A take with no answer from Redis after this many ms rejects (an ioredis client with an offline
   * queue would otherwise hold it until Redis is back), so the caller can fall back. Default 1000.
   */
  timeoutMs?: number;
}

/**
 * A {@link RateLimiter} shared by every server on the same Redis (or Redis Cluster): per-user request
 * rates and quotas hold across nodes, not per node. Each `take` is one Lua script (one round trip,
 * atomic), timed by the Redis clock (`now` is ignored, so nodes with skewed clocks agree). Each
 * bucket's key carries its name as a hash tag, so on a cluster a take touches one slot; an idle
 * bucket expires after one window. When Redis cannot be reached `take` rejects (never allows), at the
 * latest after `timeoutMs`.
 *
 * ```ts
 * const rateLimiter = createRedisRateLimiter({ redis });
 * const chat = createChat({ store, pubsub, presence, rateLimiter });
 * createWsServer({ chat, server, rateLimiter });
 * ```
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis } = options;
  const prefix = options.prefix ?? 'parley:';
  const timeoutMs = options.timeoutMs ?? 1000;
  const sha = createHash('sha1').update(TAKE).digest('hex');
  const run = async (key: string, args: number[]): Promise<[number, number, number]> => {
    try {
      return (await redis.evalsha(sha, 1, key, ...args)) as [number, number, number];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await redis.eval(TAKE, 1, key, ...args)) as [number, number, number];
    }
  };
  return {
    async take({ key, cost, rule }) {
      if (cost > rule.limit) return { allowed: false, retryAfterMs: Infinity, remaining: 0 };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`rate limiter: no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
      });
      const [allowed, retryAfterMs, remaining] = await Promise.race([run(`${prefix}rate:{${key}}`, [rule.limit, rule.windowMs, cost]), late]).finally(() => clearTimeout(timer));
      return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs), remaining: Number(remaining) };
    },
  };
}

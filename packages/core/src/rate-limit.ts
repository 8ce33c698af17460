/**
 * A token-bucket rule: the bucket holds at most `limit` tokens and refills continuously at
 * `limit` tokens per `windowMs` (so `limit` actions per window, sustained, with bursts up to `limit`).
 */
export interface RateRule {
  /** Bucket size, and tokens refilled per window. Positive. */
  limit: number;
  /** Length of the window in ms. Positive. */
  windowMs: number;
}

/** Answer of {@link RateLimiter.take}. */
export interface RateDecision {
  /** True when the tokens were taken. */
  allowed: boolean;
  /** When refused: ms until the bucket holds `cost` tokens again (0 when allowed). */
  retryAfterMs: number;
  /** Tokens left in the bucket after the call (rounded down). */
  remaining: number;
}

/**
 * Shared rate limits and quotas: per-user request rates across a user's connections, conversations
 * created per hour, members added per hour, connection caps. The in-memory limiter serves one
 * process; `@parley/pubsub-redis` ships one shared by every node on the same Redis.
 *
 * Contract:
 * - `take` MUST be atomic: concurrent calls on the same key (from this process and, for a shared
 *   limiter, from every process) never take more tokens than the bucket holds.
 * - A refused call MUST take nothing.
 * - `cost` greater than `rule.limit` MUST be refused with `retryAfterMs: Infinity` (it can never pass);
 *   the engine checks that case first and answers `INVALID` instead.
 * - A bucket nobody touched for longer than `rule.windowMs` is full again: implementations MAY
 *   forget it (memory is bounded by the keys used within one window).
 * - In-process limiters use `now` (the engine's clock, so tests can move time); shared limiters
 *   MAY use their server's clock instead, so that nodes with skewed clocks agree.
 * - A limiter that cannot reach its backing service MUST throw (the engine answers `UNAVAILABLE`,
 *   a transient error), never allow silently.
 */
export interface RateLimiter {
  /** Take `cost` tokens from the bucket `key` under `rule`. */
  take(input: { key: string; cost: number; rule: RateRule; now: number }): Promise<RateDecision>;
  /** Release connections. Optional. */
  close?(): Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The in-process {@link RateLimiter}: one map of buckets, swept of full buckets when it grows past
 * `maxKeys` (default 100,000), so memory stays bounded under a flood of distinct keys.
 */
export function createMemoryRateLimiter(options: { maxKeys?: number } = {}): RateLimiter {
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, Bucket & { windowMs: number }>();
  const refill = (b: Bucket, rule: RateRule, now: number) =>
    Math.min(rule.limit, b.tokens + (Math.max(0, now - b.at) * rule.limit) / rule.windowMs);
  const sweep = (now: number) => {
    for (const [key, b] of buckets) if (now - b.at >= b.windowMs) buckets.delete(key);
    // still too many live buckets: drop the oldest (insertion order) rather than grow without bound
    for (const key of buckets.keys()) {
      if (buckets.size <= maxKeys) break;
      buckets.delete(key);
    }
  };
  return {
    async take({ key, cost, rule, now }) {
      if (cost > rule.limit) return { allowed: false, retryAfterMs: Infinity, remaining: 0 };
      const existing = buckets.get(key);
      const tokens = existing ? refill(existing, rule, now) : rule.limit;
      if (tokens < cost) {
        const retryAfterMs = Math.ceil(((cost - tokens) * rule.windowMs) / rule.limit);
        return { allowed: false, retryAfterMs, remaining: Math.floor(tokens) };
      }
      if (existing) buckets.delete(key); // re-insert: the map's order stays least recently used first
      else if (buckets.size >= maxKeys) sweep(now);
      buckets.set(key, { tokens: tokens - cost, at: now, windowMs: rule.windowMs });
      return { allowed: true, retryAfterMs: 0, remaining: Math.floor(tokens - cost) };
    },
  };
}

import { describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from './rate-limit.js';

const rule = { limit: 10, windowMs: 1000 };

describe('createMemoryRateLimiter', () => {
  it('allows up to the limit, refuses the rest with the time until enough tokens refill', async () => {
    const limiter = createMemoryRateLimiter();
    for (let i = 0; i < 10; i++) expect((await limiter.take({ key: 'k', cost: 1, rule, now: 0 })).allowed).toBe(true);
    const refused = await limiter.take({ key: 'k', cost: 3, rule, now: 0 });
    expect(refused).toEqual({ allowed: false, retryAfterMs: 300, remaining: 0 });
    expect((await limiter.take({ key: 'k', cost: 3, rule, now: 299 })).allowed).toBe(false);
    expect(await limiter.take({ key: 'k', cost: 3, rule, now: 300 })).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
  });

  it('keeps keys apart, refills to at most the limit, refuses a cost above the limit forever', async () => {
    const limiter = createMemoryRateLimiter();
    expect((await limiter.take({ key: 'a', cost: 10, rule, now: 0 })).allowed).toBe(true);
    expect((await limiter.take({ key: 'b', cost: 10, rule, now: 0 })).allowed).toBe(true);
    expect((await limiter.take({ key: 'a', cost: 1, rule, now: 1_000_000 })).remaining).toBe(9);
    expect(await limiter.take({ key: 'c', cost: 11, rule, now: 0 })).toEqual({ allowed: false, retryAfterMs: Infinity, remaining: 0 });
  });

  it('stays bounded under a flood of distinct keys', async () => {
    const limiter = createMemoryRateLimiter({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) await limiter.take({ key: `k${i}`, cost: 1, rule, now: 0 });
    // the oldest keys were forgotten (full again); the newest are remembered
    expect((await limiter.take({ key: 'k0', cost: 10, rule, now: 0 })).allowed).toBe(true);
    expect((await limiter.take({ key: 'k999', cost: 10, rule, now: 0 })).allowed).toBe(false);
  });
});

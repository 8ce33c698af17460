import { createMemoryRateLimiter, type RateLimiter } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

describe('per-user limits over all of a user’s connections', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('a user flooding from three connections is limited as one (userRateBurst), others are not affected', async () => {
    h = await startHarness({ limits: { ratePerSecond: 1000, rateBurst: 1000, userRatePerSecond: 1, userRateBurst: 6 } });
    const conns = [await h.connect('ana'), await h.connect('ana'), await h.connect('ana')];
    const replies = await Promise.all(Array.from({ length: 18 }, (_, i) => conns[i % 3]!.raw('me', {})));
    expect(replies.filter((r) => r.ok)).toHaveLength(6);
    const refused = replies.filter((r) => !r.ok);
    expect(refused).toHaveLength(12);
    for (const r of refused) expect(r).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
    const ben = await h.connect('ben');
    expect((await ben.raw('me', {})).ok).toBe(true);
  });

  it('uses the given rateLimiter, and falls back to a per-node limit when it fails', async () => {
    const keys: string[] = [];
    const memory = createMemoryRateLimiter();
    let broken = false;
    const limiter: RateLimiter = {
      async take(input) {
        if (broken) throw new Error('backing service unreachable');
        keys.push(input.key);
        return memory.take(input);
      },
    };
    h = await startHarness({ limits: { userRatePerSecond: 1, userRateBurst: 2 }, rateLimiter: limiter });
    const ana = await h.connect('ana');
    expect((await ana.raw('me', {})).ok).toBe(true);
    expect(keys).toEqual(['ws:user:ana']);
    broken = true;
    const replies = await Promise.all(Array.from({ length: 5 }, () => ana.raw('me', {})));
    // still limited (the node's own bucket), never refused wholesale nor let through unlimited
    expect(replies.filter((r) => r.ok)).toHaveLength(2);
  });

  it('userRatePerSecond 0 turns the per-user limit off', async () => {
    h = await startHarness({ limits: { ratePerSecond: 1000, rateBurst: 1000, userRatePerSecond: 0, userRateBurst: 1 } });
    const ana = await h.connect('ana');
    const replies = await Promise.all(Array.from({ length: 10 }, () => ana.raw('me', {})));
    expect(replies.every((r) => r.ok)).toBe(true);
  });
});

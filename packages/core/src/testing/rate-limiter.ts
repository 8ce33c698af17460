import { afterAll, describe, expect, it } from 'vitest';
import type { RateLimiter, RateRule } from '../rate-limit.js';

/** Options of {@link runRateLimiterConformance}. */
export interface RateLimiterConformanceOptions {
  /** Shown in the suite title. */
  name: string;
  /**
   * A limiter instance. For a shared limiter (`shared: true`) two instances MUST behave like two
   * processes on the same backing service: a token taken through one is gone for the other.
   */
  create: () => RateLimiter | Promise<RateLimiter>;
  /** The limiter is shared between instances (e.g. over Redis): the kit also races two instances. Default false. */
  shared?: boolean;
  /** Release an instance. Default: `limiter.close?.()`. */
  close?: (limiter: RateLimiter) => void | Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Register the rate-limiter conformance suite: token-bucket arithmetic, refusals that take nothing,
 * a cost above the limit, refill over real time, key isolation, and atomicity under concurrent
 * takes (across two instances for a shared limiter). The kit passes the real clock as `now`, so a
 * limiter that reads its server's clock instead passes too; rules with long windows keep the refill
 * during a test below one token.
 */
export function runRateLimiterConformance(o: RateLimiterConformanceOptions): void {
  describe(`RateLimiter conformance: ${o.name}`, () => {
    const opened: RateLimiter[] = [];
    const make = async () => {
      const limiter = await o.create();
      opened.push(limiter);
      return limiter;
    };
    afterAll(async () => {
      for (const limiter of opened.splice(0)) await (o.close ? o.close(limiter) : limiter.close?.());
    });
    // a key space of its own per run, so runs on a shared service never meet
    const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    let n = 0;
    const key = (name: string) => `conformance:${run}:${n++}:${name}`;
    /** Refills one token per hour: nothing refills while a test runs. */
    const slow = (limit: number): RateRule => ({ limit, windowMs: limit * 3_600_000 });
    const take = (l: RateLimiter, k: string, cost: number, rule: RateRule) => l.take({ key: k, cost, rule, now: Date.now() });

    it('a fresh bucket allows `limit` tokens, then refuses with the time until one refills', async () => {
      const l = await make();
      const k = key('fill');
      const rule = slow(5);
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const d = await take(l, k, 1, rule);
        expect(d.allowed).toBe(true);
        expect(d.retryAfterMs).toBe(0);
        remaining.push(d.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const refused = await take(l, k, 1, rule);
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      // one token refills in windowMs / limit = 1 h
      expect(refused.retryAfterMs).toBeGreaterThan(3_500_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    });

    it('a refused call takes nothing', async () => {
      const l = await make();
      const k = key('refused');
      const rule = slow(3);
      expect((await take(l, k, 2, rule)).remaining).toBe(1);
      for (let i = 0; i < 5; i++) expect((await take(l, k, 2, rule)).allowed).toBe(false);
      const last = await take(l, k, 1, rule);
      expect(last).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
    });

    it('a cost above the limit is refused with retryAfterMs Infinity and takes nothing', async () => {
      const l = await make();
      const k = key('over');
      const rule = slow(4);
      expect(await take(l, k, 5, rule)).toEqual({ allowed: false, retryAfterMs: Infinity, remaining: 0 });
      expect(await take(l, k, 4, rule)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
    });

    it('tokens refill over time at limit per window, up to the limit; retryAfterMs is when the cost fits again', async () => {
      const l = await make();
      const k = key('refill');
      const rule: RateRule = { limit: 4, windowMs: 400 }; // one token per 100 ms
      expect((await take(l, k, 4, rule)).allowed).toBe(true);
      const refused = await take(l, k, 2, rule);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(200);
      await sleep(refused.retryAfterMs + 40);
      expect((await take(l, k, 2, rule)).allowed).toBe(true);
      await sleep(1000); // far more than a window: full again, never more than the limit
      const full = await take(l, k, 1, rule);
      expect(full).toEqual({ allowed: true, retryAfterMs: 0, remaining: 3 });
    });

    it('keys are independent, and each key keeps its own rule', async () => {
      const l = await make();
      const a = key('a');
      const b = key('b');
      expect((await take(l, a, 2, slow(2))).allowed).toBe(true);
      expect((await take(l, a, 1, slow(2))).allowed).toBe(false);
      expect(await take(l, b, 7, slow(10))).toEqual({ allowed: true, retryAfterMs: 0, remaining: 3 });
    });

    it('atomic: 50 concurrent takes on a bucket of 20 allow exactly 20', async () => {
      const l = await make();
      const k = key('race');
      const rule = slow(20);
      const decisions = await Promise.all(Array.from({ length: 50 }, () => take(l, k, 1, rule)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
      expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfterMs > 0)).toBe(true);
      expect((await take(l, k, 1, rule)).allowed).toBe(false);
    });

    const sharedTitle = 'shared: two instances draw from one bucket, also when racing (50 takes, bucket of 20)';
    if (!o.shared) console.info(`[parley conformance] ${o.name}: ${sharedTitle} — skipped: an in-process limiter shares nothing between instances`);
    it.skipIf(!o.shared)(o.shared ? sharedTitle : `${sharedTitle} — skipped: in-process limiter`, async () => {
      const [x, y] = [await make(), await make()];
      const k = key('shared');
      const rule = slow(20);
      const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => take(i % 2 ? x : y, k, 1, rule)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
      expect((await take(x, k, 1, rule)).allowed).toBe(false);
      expect((await take(y, k, 1, rule)).allowed).toBe(false);
    });
  });
}

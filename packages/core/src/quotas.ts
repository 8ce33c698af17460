import type { EngineContext } from './context.js';
import { ChatError } from './errors.js';
import type { RateRule } from './rate-limit.js';

/**
 * Per-user quotas on what is costly for others: conversations created, members added (each one is a
 * row and an inbox entry for someone else), metadata bytes written. Counted across all of a user's
 * connections (and, with a shared {@link RateLimiter}, across every node). Every field has a default
 * in {@link DEFAULT_QUOTAS}; `null` turns a quota off.
 */
export interface Quotas {
  /** Groups and channels one user creates. Default 60 per hour. */
  conversationsCreated: RateRule | null;
  /** Members one user adds to conversations (createGroup's members included). Default 2,000 per hour. */
  membersAdded: RateRule | null;
  /** Bytes of conversation metadata one user writes (createGroup/createChannel/updateConversation). Default 4 MiB per hour. */
  metadataBytes: RateRule | null;
}

const HOUR = 3600_000;

/** The defaults of {@link Quotas}: generous for people, tight for scripts. */
export const DEFAULT_QUOTAS: Quotas = {
  conversationsCreated: { limit: 60, windowMs: HOUR },
  membersAdded: { limit: 2000, windowMs: HOUR },
  metadataBytes: { limit: 4 * 1024 * 1024, windowMs: HOUR },
};

/** What a costly operation consumes. */
export interface QuotaCost {
  conversationsCreated?: number;
  membersAdded?: number;
  metadataBytes?: number;
}

/** Bytes of a metadata object as stored (its JSON). */
export const metadataBytes = (metadata: Record<string, unknown> | undefined): number =>
  metadata === undefined ? 0 : new TextEncoder().encode(JSON.stringify(metadata)).length;

/**
 * Take `cost` from the user's quotas, or throw `RATE_LIMITED` with `retryAfterMs` (nothing is taken
 * from the quota that refused; earlier ones in the same call are not given back, which only errs on
 * the strict side). A cost that can never fit a quota is `INVALID`.
 */
export async function takeQuota(ctx: EngineContext, userId: string, cost: QuotaCost): Promise<void> {
  for (const name of Object.keys(cost) as Array<keyof QuotaCost>) {
    const amount = cost[name] ?? 0;
    const rule = ctx.limits.quotas[name];
    if (!rule || amount <= 0) continue;
    if (amount > rule.limit) throw new ChatError('INVALID', `this would exceed the ${name} quota (${rule.limit} per ${rule.windowMs / 1000} s)`);
    const d = await ctx.rateLimiter.take({ key: `q:${name}:${userId}`, cost: amount, rule, now: ctx.clock.now() });
    if (!d.allowed) {
      throw new ChatError('RATE_LIMITED', `${name} quota reached (${rule.limit} per ${rule.windowMs / 1000} s); retry later`, {
        retryAfterMs: d.retryAfterMs,
      });
    }
  }
}

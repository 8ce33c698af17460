import type { Receipt } from '@parley/protocol';
import { isChatError } from '../errors.js';
import { requireMembership } from '../rules.js';
import { moveWatermarks } from './reads.js';
import type { Handlers } from './types.js';

/** Conversations of one batch read and moved at the same time (bounds the store connections one request holds). */
const PARALLEL = 8;

/**
 * Batched delivery receipts: `markDelivered` for many conversations in one request, with the same
 * rule per conversation (current or former member; a former member's watermark stops at leftSeq).
 * A conversation the user cannot see is skipped, reported the same way whether it exists or not,
 * and never fails the others; a store failure fails the request (`UNAVAILABLE`), and a retry is
 * safe because watermarks only move forward.
 */
export const receiptBatchHandlers: Handlers<'markDeliveredMany'> = {
  async markDeliveredMany(ctx, actor, p) {
    const highest = new Map<string, number>();
    for (const r of p.receipts) highest.set(r.conversationId, Math.max(r.seq, highest.get(r.conversationId) ?? 0));
    const targets = [...highest];
    const results: (Receipt | null)[] = [];
    for (let i = 0; i < targets.length; i += PARALLEL) {
      const chunk = targets.slice(i, i + PARALLEL);
      results.push(
        ...(await Promise.all(
          chunk.map(async ([conversationId, seq]) => {
            const access = await requireMembership(ctx, conversationId, actor).catch((error: unknown) => (isChatError(error, 'FORBIDDEN') ? null : Promise.reject(error)));
            return access && moveWatermarks(ctx, access, actor, seq, false);
          }),
        )),
      );
    }
    return {
      receipts: results.filter((r): r is Receipt => r !== null),
      skipped: targets.filter((_, i) => results[i] === null).map(([id]) => id),
    };
  },
};

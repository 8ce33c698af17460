import type { ChatStore, ModerationEventOf } from '@parley/core';
import { moderationEffect } from '@parley/core';
import type { ModerationState, Restriction } from '@parley/protocol';
import type { RestrictionDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { isDuplicateKeyError } from './errors.js';
import { keyId } from './ids.js';

/** `_id` of a restriction document: one per (conversation, user, kind). */
const restrictionId = (conversationId: string, userId: string, kind: string) => keyId('restriction', conversationId, userId, kind);

const toRestriction = (doc: RestrictionDoc): Restriction => ({
  conversationId: doc.conversationId,
  userId: doc.userId,
  kind: doc.kind,
  until: doc.until,
  reason: doc.reason,
  actorId: doc.actorId,
  at: doc.at,
});

/**
 * Apply the restriction part of a moderation event (idempotent, guarded by `eventSeq`). A lifted
 * restriction stays as a tombstone (`lifted: true`) so a late re-run of an earlier event's
 * projection cannot bring it back: every write matches only documents with a smaller `eventSeq`.
 */
export async function projectRestriction(ctx: StoreContext, event: ModerationEventOf, current: ModerationState | undefined): Promise<void> {
  const effect = moderationEffect(event, current);
  const target = effect.put ?? effect.lift;
  if (!target) return;
  const _id = restrictionId(event.conversationId, target.userId, target.kind);
  const fields = effect.put ? { ...effect.put, lifted: false } : { lifted: true };
  try {
    await ctx.cols.restrictions.updateOne(
      { _id, eventSeq: { $lt: event.seq } },
      { $set: { ...fields, eventSeq: event.seq }, $setOnInsert: { conversationId: event.conversationId, userId: target.userId, kind: target.kind } },
      { upsert: true },
    );
  } catch (error) {
    // the document exists with a newer eventSeq: this event was overtaken, nothing to do
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/** The restrictions in force or expired (not lifted) of some users, for the append's preconditions. */
export async function readRestrictions(ctx: StoreContext, conversationId: string, userIds: string[]): Promise<Restriction[]> {
  if (userIds.length === 0) return [];
  const docs = await ctx.cols.restrictions.find({ conversationId, userId: { $in: userIds }, lifted: false }).toArray();
  return docs.map(toRestriction);
}

/** {@link ChatStore.restrictions}. */
export function restrictionMethods(ctx: StoreContext): Pick<ChatStore, 'restrictions'> {
  return {
    async restrictions({ conversationId, userIds, kind, after, limit }) {
      const keyset = after === undefined ? {} : { $or: [{ userId: { $gt: after.userId } }, { userId: after.userId, kind: { $gt: after.kind } }] };
      const docs = await ctx.cols.restrictions
        .find({ conversationId, lifted: false, ...(kind !== undefined ? { kind } : {}), ...(userIds !== undefined ? { userId: { $in: userIds } } : {}), ...keyset })
        .sort({ userId: 1, kind: 1 })
        .limit(limit)
        .toArray();
      return docs.map(toRestriction);
    },
  };
}

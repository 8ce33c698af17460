import type { ChatStore, InboxRow } from '@parley/core';
import type { ConversationDoc, MemberDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { toConversation, toMember, unreadOf } from './documents.js';
import { eventId, hiddenId, memberId } from './ids.js';
import { changedPipeline, inboxPipeline, membershipsPipeline } from './queries.js';
import { isDuplicateKeyError } from './errors.js';

type Joined = MemberDoc & { c: ConversationDoc };

const rowOf = (joined: Joined): InboxRow => {
  const { c, ...member } = joined;
  return { conversation: toConversation(c), member: toMember(member), unread: unreadOf(c, member) };
};

/** Members, receipts, inbox and delete-for-me. */
export function memberMethods(
  ctx: StoreContext,
): Pick<
  ChatStore,
  | 'getMember'
  | 'listMembers'
  | 'memberIds'
  | 'setMuted'
  | 'advanceWatermarks'
  | 'receipts'
  | 'inbox'
  | 'unreadTotal'
  | 'changedMemberships'
  | 'sharesConversation'
  | 'hide'
  | 'hiddenSeqs'
> {
  const { members, conversations, events, hidden } = ctx.cols;
  const active = (conversationId: string) => members.find({ conversationId, leftSeq: null }).sort({ userId: 1 });
  return {
    async getMember(conversationId, userId) {
      const doc = await members.findOne({ _id: memberId(conversationId, userId) });
      return doc ? toMember(doc) : null;
    },
    async listMembers({ conversationId, afterUserId, limit }) {
      const filter: Record<string, unknown> = { conversationId, leftSeq: null };
      if (afterUserId !== undefined) filter.userId = { $gt: afterUserId };
      return (await members.find(filter).sort({ userId: 1 }).limit(limit).toArray()).map(toMember);
    },
    async memberIds(conversationId) {
      return (await active(conversationId).project<{ userId: string }>({ userId: 1 }).toArray()).map((m) => m.userId);
    },
    async setMuted({ conversationId, userId, mutedUntil, now }) {
      const doc = await members.findOneAndUpdate(
        { _id: memberId(conversationId, userId) },
        { $set: { mutedUntil }, $max: { updatedAt: now } },
        { returnDocument: 'after' },
      );
      return doc ? toMember(doc) : null;
    },
    async advanceWatermarks({ conversationId, userId, deliveredSeq, readSeq, now }) {
      const _id = memberId(conversationId, userId);
      const current = await members.findOne({ _id });
      if (!current) return null;
      const read = readSeq ?? 0;
      const delivered = Math.max(deliveredSeq ?? 0, read);
      if (read <= current.readSeq && delivered <= current.deliveredSeq) return toMember(current);
      const max: Record<string, number> = { deliveredSeq: delivered, updatedAt: now };
      if (read > current.readSeq) {
        max.readSeq = read;
        const at = await events.findOne({ _id: eventId(conversationId, read) }, { projection: { ord: 1 } });
        if (at) max.readOrd = at.ord;
      }
      // $max on every field: concurrent calls in any order end at the maxima, never lower.
      const doc = await members.findOneAndUpdate(
        { _id, $or: [{ readSeq: { $lt: read } }, { deliveredSeq: { $lt: delivered } }] },
        { $max: max },
        { returnDocument: 'after' },
      );
      return toMember(doc ?? (await members.findOne({ _id })) ?? current);
    },
    async receipts(conversationId) {
      return (await active(conversationId).toArray()).map(toMember);
    },
    async inbox(query) {
      const rows = await members.aggregate<Joined>(inboxPipeline({ ...query, conversations: ctx.conversationsName })).toArray();
      return rows.map(rowOf);
    },
    async unreadTotal({ userId, now }) {
      const rows = await members.aggregate<Joined>(membershipsPipeline({ userId, activeOnly: true, conversations: ctx.conversationsName })).toArray();
      let total = 0;
      let count = 0;
      for (const row of rows) {
        if (row.mutedUntil !== null && row.mutedUntil > now) continue;
        const unread = unreadOf(row.c, row);
        total += unread;
        if (unread > 0) count += 1;
      }
      return { total, conversations: count };
    },
    async changedMemberships({ userId, since, afterConversationId, limit }) {
      const pipeline = changedPipeline({ userId, since, conversations: ctx.conversationsName, ...(afterConversationId !== undefined ? { afterConversationId } : {}), ...(limit !== undefined ? { limit } : {}) });
      return (await members.aggregate<Joined>(pipeline).toArray()).map(rowOf);
    },
    async sharesConversation(a, b) {
      const mine = await members.find({ userId: a, leftSeq: null }).project<{ conversationId: string }>({ conversationId: 1 }).toArray();
      if (mine.length === 0) return false;
      const both = await members
        .find({ userId: b, leftSeq: null, conversationId: { $in: mine.map((m) => m.conversationId) } })
        .project<{ conversationId: string }>({ conversationId: 1 })
        .toArray();
      if (both.length === 0) return false;
      const shared = await conversations.findOne(
        { id: { $in: both.map((m) => m.conversationId) }, state: 'ready', kind: { $ne: 'channel' } },
        { projection: { _id: 1 } },
      );
      return shared !== null;
    },
    async hide({ userId, conversationId, seq, now }) {
      try {
        await hidden.insertOne({ _id: hiddenId(userId, conversationId, seq), userId, conversationId, seq, at: now });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    },
    async hiddenSeqs({ userId, conversationId }) {
      const docs = await hidden.find({ userId, conversationId }).sort({ seq: 1 }).project<{ seq: number }>({ seq: 1 }).toArray();
      return docs.map((d) => d.seq);
    },
  };
}

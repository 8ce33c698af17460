import { previewOf } from '@parley/core';
import type { ChatStore } from '@parley/core';
import type { Message } from '@parley/protocol';
import type { EventDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { messageBody, storedMessage } from './documents.js';
import { eraseEditTexts } from './erasure.js';

/** True when a deleted message still holds content to erase. */
export function hasContent(message: Pick<Message, 'text' | 'attachments' | 'metadata'>): boolean {
  return message.text !== null || message.attachments.length > 0 || Object.keys(message.metadata).length > 0;
}

/** The message with its content erased. */
export function erased(message: Message): Message {
  return { ...message, text: null, attachments: [], metadata: {}, reactions: {}, mentions: [] };
}

/**
 * Rewrite one stored message with a compare-and-set on `rev` (so a concurrent edit is never lost
 * or resurrected), then blank the text of the edits that targeted it. Returns the message written,
 * or null when `change` declined.
 */
async function rewrite(ctx: StoreContext, first: EventDoc, change: (m: Message) => Message | null): Promise<Message | null> {
  let doc: EventDoc | null = first;
  while (doc) {
    const next = change(storedMessage(doc));
    if (!next) return null;
    const res = await ctx.cols.events.updateOne(
      { _id: doc._id, rev: doc.rev },
      { $set: { message: messageBody(next), erased: true, originalText: null }, $inc: { rev: 1 } },
    );
    if (res.matchedCount === 1) {
      await eraseEditTexts(ctx, doc.conversationId, doc.seq);
      return next;
    }
    doc = await ctx.cols.events.findOne({ _id: doc._id });
  }
  return null;
}

/** Retention: purge of deleted content and message expiry. */
export function retentionMethods(ctx: StoreContext): Pick<ChatStore, 'purgeDeleted' | 'expireMessages'> {
  const { events, conversations } = ctx.cols;
  return {
    async purgeDeleted({ deletedBefore, conversationId, seqs }) {
      let count = 0;
      const cursor = events.find({
        type: 'message',
        erased: { $ne: true },
        'message.deletedAt': { $ne: null, $lt: deletedBefore },
        ...(conversationId === undefined ? {} : { conversationId }),
        ...(seqs === undefined ? {} : { seq: { $in: seqs } }),
      });
      for await (const doc of cursor) {
        const done = await rewrite(ctx, doc, (m) => (m.deletedAt !== null && m.deletedAt < deletedBefore ? erased(m) : null));
        if (!done) continue;
        // a former member's snapshot of the conversation may quote it as its last message
        await ctx.cols.members.updateMany(
          { conversationId: doc.conversationId, 'leftView.lastMessage.seq': doc.seq },
          { $set: { 'leftView.lastMessage': previewOf(done) } },
        );
        if (hasContent(storedMessage(doc))) count += 1;
      }
      return count;
    },
    async expireMessages({ now }) {
      let count = 0;
      const ttl = await conversations.find({ state: 'ready', messageTtlSeconds: { $ne: null } }).toArray();
      for (const conv of ttl) {
        const cutoff = now - (conv.messageTtlSeconds ?? 0) * 1000;
        const cursor = events.find({ conversationId: conv.id, type: 'message', 'message.deletedAt': null, 'message.createdAt': { $lt: cutoff } });
        for await (const doc of cursor) {
          const done = await rewrite(ctx, doc, (m) => (m.deletedAt === null ? erased({ ...m, deletedAt: now }) : null));
          if (!done) continue;
          count += 1;
          await conversations.updateOne({ _id: conv._id, 'lastMessage.seq': done.seq }, { $set: { lastMessage: previewOf(done) } });
        }
      }
      return count;
    },
  };
}

import { leftViewOf } from '@parley/core';
import type { AppendInput, AppendResult, ChatStore } from '@parley/core';
import type { ConversationEvent } from '@parley/protocol';
import type { StoreContext } from './context.js';
import { readEvent } from './documents.js';
import { eventId, memberId } from './ids.js';
import { MUTATION_TYPES } from './queries.js';

/**
 * What former members' views need beyond the log (see docs/storage-mongo.md): `originalText` on a
 * message event document (the text as sent, kept from the first edit on, nulled when the message
 * is deleted or erased) and `leftView` on a member document (the conversation as of the leave).
 */
export function readViewMethods(ctx: StoreContext): Pick<ChatStore, 'mutationsOf' | 'originalTexts'> {
  const { events } = ctx.cols;
  return {
    async mutationsOf({ conversationId, targets, after }) {
      if (targets.length === 0) return [];
      // index conversation_target_seq
      const filter: Record<string, unknown> = { conversationId, target: { $in: targets }, type: { $in: [...MUTATION_TYPES] } };
      if (after !== undefined) filter.seq = { $gt: after };
      const docs = await events.find(filter).sort({ seq: 1 }).toArray();
      return docs.map(readEvent);
    },
    async originalTexts({ conversationId, seqs }) {
      if (seqs.length === 0) return [];
      const docs = await events
        .find({ _id: { $in: seqs.map((s) => eventId(conversationId, s)) }, type: 'message', 'message.deletedAt': null, originalText: { $type: 'string' } })
        .project<{ seq: number; originalText: string }>({ seq: 1, originalText: 1 })
        .toArray();
      return docs.map((d) => ({ seq: d.seq, text: d.originalText }));
    },
  };
}

/** Keep the text a message was sent with before its first edit is applied. */
async function keepOriginal(ctx: StoreContext, conversationId: string, target: number): Promise<void> {
  const _id = eventId(conversationId, target);
  for (let attempt = 0; attempt < 20; attempt++) {
    const doc = await ctx.cols.events.findOne({ _id });
    if (!doc || doc.type !== 'message' || !doc.message) return;
    if (doc.originalText !== undefined || doc.message.editedAt !== null || doc.message.deletedAt !== null) return;
    // `rev` unchanged means the text is still the one sent; rev is not bumped, so no mutation is disturbed
    const res = await ctx.cols.events.updateOne(
      { _id, rev: doc.rev, originalText: { $exists: false } },
      { $set: { originalText: doc.message.text } },
    );
    if (res.matchedCount === 1) return;
  }
}

/**
 * Wrap `append` so the read views stay current: before an edit, the original text is kept (every
 * edit's writer does this before its event exists, so the first edit applied always finds it
 * kept; the delete's own update nulls it, see projection.ts); after a leave, the conversation right after the leave (what
 * the append returns) is stored on the member document.
 */
export function withReadViews(ctx: StoreContext, append: ChatStore['append']): ChatStore['append'] {
  return async (input: AppendInput): Promise<AppendResult> => {
    const { draft } = input;
    if (draft.type === 'message.edited') await keepOriginal(ctx, draft.conversationId, draft.target);
    const result = await append(input);
    if (result.duplicate) return result;
    const event: ConversationEvent = result.event;
    if (event.type === 'member.left') {
      await ctx.cols.members.updateOne(
        { _id: memberId(event.conversationId, event.userId), leftSeq: event.seq },
        { $set: { leftView: leftViewOf(result.conversation, event.seq) } },
      );
    }
    if (event.type === 'member.joined') {
      await ctx.cols.members.updateOne({ _id: memberId(event.conversationId, event.userId), leftSeq: null }, { $unset: { leftView: '' } });
    }
    return result;
  };
}

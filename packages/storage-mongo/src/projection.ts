import { applyMutation } from '@parley/core';
import type { ConversationRecord } from '@parley/core';
import type { ConversationEvent, Message } from '@parley/protocol';
import type { ConversationDoc, EventDoc, MemberDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { messageBody, readEvent, storedMessage, stripUndefined, toConversation } from './documents.js';
import { nextConversation } from './effects.js';
import { eraseEditTexts } from './erasure.js';
import { isDuplicateKeyError } from './errors.js';
import { callId, eventId, memberId } from './ids.js';
import { projectRestriction } from './restrictions.js';

/**
 * Apply the effects of the event document `doc` (at seq `current.lastSeq + 1`) to the documents
 * it touches, then advance the conversation with a compare-and-set on `lastSeq`.
 *
 * The event document is the commit point of an append; everything here is derived from it and is
 * idempotent (guarded by the seq of the last applied event on each document), so any writer may
 * run it again: the one that inserted the event, or a later writer that finds the event not yet
 * applied (because its writer was slow or died). Effects are applied before the conversation's
 * `lastSeq` moves, so `lastSeq = n` means every event up to n is fully applied.
 *
 * Returns the conversation right after this event.
 */
export async function projectEvent(ctx: StoreContext, current: ConversationDoc, doc: EventDoc): Promise<ConversationRecord> {
  const event = { ...readEvent(doc) } as ConversationEvent;
  if (event.type === 'message') event.message = storedMessage(doc);
  let target: Message | null = null;
  switch (event.type) {
    case 'message':
      await ctx.cols.members.updateOne(
        { _id: memberId(event.conversationId, event.message.senderId) },
        { $max: { readSeq: event.seq, deliveredSeq: event.seq, readOrd: doc.ord, updatedAt: event.at, lastPostAt: event.at } },
      );
      break;
    case 'message.edited':
    case 'message.deleted':
    case 'message.reaction':
    case 'message.pinned':
      target = await mutateTarget(ctx, event);
      break;
    case 'member.joined':
      await applyJoin(ctx, event, doc.ord);
      break;
    case 'member.left':
      await ctx.cols.members.updateOne(
        { _id: memberId(event.conversationId, event.userId), eventSeq: { $lt: event.seq }, leftSeq: null },
        { $set: { leftSeq: event.seq, leftOrd: doc.ord, eventSeq: event.seq }, $max: { updatedAt: event.at } },
      );
      break;
    case 'member.role':
      await ctx.cols.members.updateOne(
        { _id: memberId(event.conversationId, event.userId), eventSeq: { $lt: event.seq } },
        { $set: { role: event.role, eventSeq: event.seq }, $max: { updatedAt: event.at } },
      );
      break;
    case 'call':
      await upsertCall(ctx, event);
      break;
    case 'moderation':
      await projectRestriction(ctx, event, current.moderation);
      break;
    default:
      break;
  }
  const step = nextConversation(toConversation(current), event, target);
  await ctx.cols.conversations.updateOne({ _id: current._id, lastSeq: event.seq - 1 }, { $set: step.set });
  return step.conversation;
}

/**
 * Apply every event placed after `current.lastSeq` that is not applied yet, in seq order, and
 * return the conversation as of the last one. Usually finds nothing (one indexed point read).
 */
export async function settle(ctx: StoreContext, current: ConversationDoc): Promise<ConversationDoc> {
  let conv = current;
  for (;;) {
    const next = await ctx.cols.events.findOne({ _id: eventId(conv.id, conv.lastSeq + 1) });
    if (!next) return conv;
    await projectEvent(ctx, conv, next);
    const fresh = await ctx.cols.conversations.findOne({ _id: conv._id });
    if (!fresh) return conv;
    conv = fresh;
  }
}

/**
 * Apply a mutation to its target message (compare-and-set on `rev`); returns the message after it.
 * A delete first blanks the texts of the earlier edits (idempotent, and outside the `mutSeq` guard,
 * so a projection re-run after a crash finishes it), then nulls `originalText` in the same update
 * that marks the message deleted: whenever a reader sees the message deleted, no edit carries its
 * text any more, and both are done before `lastSeq` moves.
 */
async function mutateTarget(ctx: StoreContext, event: Extract<ConversationEvent, { target: number }>): Promise<Message | null> {
  const _id = eventId(event.conversationId, event.target);
  const deletes = event.type === 'message.deleted';
  if (deletes) await eraseEditTexts(ctx, event.conversationId, event.target, event.seq);
  for (;;) {
    const doc = await ctx.cols.events.findOne({ _id });
    if (!doc || doc.type !== 'message') return null;
    if (doc.mutSeq >= event.seq) return storedMessage(doc);
    const next = applyMutation(storedMessage(doc), event);
    const res = await ctx.cols.events.updateOne(
      { _id, rev: doc.rev },
      { $set: { message: messageBody(next), mutSeq: event.seq, ...(deletes ? { originalText: null } : {}) }, $inc: { rev: 1 } },
    );
    if (res.matchedCount === 1) return next;
  }
}

/** Create or reactivate a member for a `member.joined` event (compare-and-set on `eventSeq`). */
async function applyJoin(ctx: StoreContext, event: Extract<ConversationEvent, { type: 'member.joined' }>, ord: number): Promise<void> {
  const _id = memberId(event.conversationId, event.userId);
  const fields = {
    role: event.role,
    joinSeq: event.seq,
    leftSeq: null,
    leftOrd: null,
    deliveredSeq: event.seq,
    readSeq: event.seq,
    readOrd: ord,
    joinedAt: event.at,
    updatedAt: event.at,
    eventSeq: event.seq,
  };
  for (;;) {
    const prev = await ctx.cols.members.findOne({ _id });
    if (prev && prev.eventSeq >= event.seq) return;
    if (!prev) {
      const doc: MemberDoc = { _id, conversationId: event.conversationId, userId: event.userId, mutedUntil: null, pastWindows: [], ...fields };
      try {
        await ctx.cols.members.insertOne(doc);
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        continue;
      }
    }
    const pastWindows = prev.leftSeq === null ? prev.pastWindows : [...prev.pastWindows, { joinSeq: prev.joinSeq, leftSeq: prev.leftSeq }];
    const res = await ctx.cols.members.updateOne({ _id, eventSeq: prev.eventSeq }, { $set: { ...fields, pastWindows } });
    if (res.matchedCount === 1) return;
  }
}

/** Write the call record of a `call` event unless a later call event already did. */
async function upsertCall(ctx: StoreContext, event: Extract<ConversationEvent, { type: 'call' }>): Promise<void> {
  const _id = callId(event.call.id);
  const call = stripUndefined(event.call);
  for (;;) {
    const prev = await ctx.cols.calls.findOne({ _id }, { projection: { eventSeq: 1 } });
    if (prev && prev.eventSeq >= event.seq) return;
    if (!prev) {
      try {
        await ctx.cols.calls.insertOne({ _id, ...call, eventSeq: event.seq });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        continue;
      }
    }
    const res = await ctx.cols.calls.updateOne({ _id, eventSeq: prev.eventSeq }, { $set: { ...call, eventSeq: event.seq } });
    if (res.matchedCount === 1) return;
  }
}

import { ChatError, newConversationRecord } from '@parley/core';
import type { ChatStore, ConversationRecord, CreateConversationInput } from '@parley/core';
import type { ConversationEvent } from '@parley/protocol';
import type { ConversationDoc, MemberDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { stripUndefined, toConversation, toEventDoc } from './documents.js';
import { isDuplicateKeyError } from './errors.js';
import { conversationId, directId, eventId, memberId } from './ids.js';
import { readyConversation } from './log.js';
import { containsFilter } from './queries.js';

/** Ignore a duplicate-key error (the document is already there), rethrow anything else. */
async function ignoreDuplicate(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/**
 * Write the members and the `conversation.created` event of a pending conversation, idempotently
 * (their `_id`s are derived from their keys, so a second run writes nothing new).
 */
async function materialize(ctx: StoreContext, doc: ConversationDoc): Promise<void> {
  const members = doc.init ?? [];
  for (const m of members) {
    const member: MemberDoc = {
      _id: memberId(doc.id, m.userId),
      conversationId: doc.id,
      userId: m.userId,
      role: m.role,
      joinSeq: 1,
      leftSeq: null,
      leftOrd: null,
      deliveredSeq: 1,
      readSeq: 1,
      readOrd: 0,
      mutedUntil: null,
      joinedAt: doc.createdAt,
      pastWindows: [],
      updatedAt: doc.createdAt,
      eventSeq: 1,
    };
    await ignoreDuplicate(ctx.cols.members.insertOne(member));
  }
  const created: ConversationEvent = {
    type: 'conversation.created',
    conversationId: doc.id,
    seq: 1,
    actorId: doc.createdBy,
    at: doc.createdAt,
    kind: doc.kind,
    title: doc.title,
    members: members.map((m) => ({ userId: m.userId, role: m.role })),
  };
  await ignoreDuplicate(ctx.cols.events.insertOne(toEventDoc(created, 0)));
}

/** Finish a pending conversation (members, first event, then `ready`); returns it ready. */
async function finish(ctx: StoreContext, doc: ConversationDoc): Promise<ConversationDoc> {
  if (doc.state === 'ready') return doc;
  await materialize(ctx, doc);
  await ctx.cols.conversations.updateOne({ _id: doc._id, state: 'pending' }, { $set: { state: 'ready' }, $unset: { init: '' } });
  return { ...doc, state: 'ready' };
}

/** The direct conversation claimed for a pair, finished if its creator was interrupted. */
async function directConversation(ctx: StoreContext, pair: readonly string[]): Promise<ConversationDoc | null> {
  const claim = await ctx.cols.directs.findOne({ _id: directId(pair) });
  if (!claim) return null;
  const doc = await ctx.cols.conversations.findOne({ _id: conversationId(claim.conversationId) });
  return doc ? finish(ctx, doc) : null;
}

/** Remove what a creation that lost its direct pair wrote (never visible: it was still pending). */
async function discard(ctx: StoreContext, doc: ConversationDoc): Promise<void> {
  await ctx.cols.conversations.deleteOne({ _id: doc._id, state: 'pending' });
  await ctx.cols.members.deleteMany({ conversationId: doc.id });
  await ctx.cols.events.deleteOne({ _id: eventId(doc.id, 1) });
}

/**
 * {@link ChatStore.createConversation} without transactions: the conversation document is written
 * first as `pending` (readers only see `ready` ones), then its members and first event, then, for a
 * direct conversation, the claim on its pair (`_id` derived from the pair: one per pair on any
 * server), and last the flip to `ready`. A creator that dies half-way leaves an invisible pending
 * document; if it had already claimed its pair, the next reader of the pair finishes it from the
 * `init` it holds.
 */
export async function createConversation(ctx: StoreContext, input: CreateConversationInput): Promise<{ conversation: ConversationRecord; created: boolean }> {
  if (input.kind === 'direct') {
    const existing = await directConversation(ctx, input.directPair);
    if (existing) return { conversation: toConversation(existing), created: false };
  }
  const record: ConversationRecord = { ...newConversationRecord(input), metadata: stripUndefined(input.metadata) };
  const doc: ConversationDoc = {
    _id: conversationId(input.id),
    ...record,
    state: 'pending',
    init: input.members.map((m) => ({ userId: m.userId, role: m.role })),
  };
  try {
    await ctx.cols.conversations.insertOne(doc);
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ChatError('CONFLICT', 'a conversation with this id exists');
    throw error;
  }
  await materialize(ctx, doc);
  if (input.kind === 'direct') {
    try {
      await ctx.cols.directs.insertOne({ _id: directId(input.directPair), pair: [...input.directPair], conversationId: input.id });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await discard(ctx, doc);
      const winner = await directConversation(ctx, input.directPair);
      if (!winner) throw new ChatError('CONFLICT', 'the direct conversation of this pair is missing');
      return { conversation: toConversation(winner), created: false };
    }
  }
  await finish(ctx, doc);
  return { conversation: record, created: true };
}

/** The conversation part of the store. */
export function conversationMethods(ctx: StoreContext): Pick<ChatStore, 'createConversation' | 'getConversation' | 'findDirect' | 'listChannels'> {
  return {
    createConversation: (input) => createConversation(ctx, input),
    async getConversation(id) {
      const doc = await readyConversation(ctx, id);
      return doc ? toConversation(doc) : null;
    },
    async findDirect(pair) {
      const doc = await directConversation(ctx, pair);
      return doc ? toConversation(doc) : null;
    },
    async listChannels({ query, afterId, limit }) {
      const filter: Record<string, unknown> = { kind: 'channel', state: 'ready' };
      if (afterId !== undefined) filter.id = { $gt: afterId };
      if (query) filter.title = containsFilter(query);
      const docs = await ctx.cols.conversations.find(filter).sort({ id: 1 }).limit(limit).toArray();
      return docs.map(toConversation);
    },
  };
}

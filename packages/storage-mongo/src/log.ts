import { appendRefused, ChatError, checkAppend, visibleMessage } from '@parley/core';
import type { AppendInput, AppendResult, ChatStore, EventsQuery } from '@parley/core';
import type { ConversationEvent, Message } from '@parley/protocol';
import type { ConversationDoc, EventDoc } from './collections.js';
import { readAppendState } from './append-state.js';
import type { StoreContext } from './context.js';
import { readEvent, storedMessage, toConversation, toEventDoc } from './documents.js';
import { isDuplicateKeyError } from './errors.js';
import { conversationId, eventId } from './ids.js';
import { projectEvent, settle } from './projection.js';
import { eventsPlan } from './queries.js';

/**
 * Wait a random time that grows with the number of collisions (capped): under many concurrent
 * senders in one conversation, optimistic retries without it mostly collide again.
 */
function backOff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** Math.min(attempt, 5), 20);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The ready conversation document, or null. */
export async function readyConversation(ctx: StoreContext, id: string): Promise<ConversationDoc | null> {
  return ctx.cols.conversations.findOne({ _id: conversationId(id), state: 'ready' });
}

/** The stored message with this clientId of this sender in the conversation, if any. */
async function findByClientId(ctx: StoreContext, conversation: string, senderId: string, clientId: string): Promise<EventDoc | null> {
  return ctx.cols.events.findOne({ conversationId: conversation, type: 'message', 'message.senderId': senderId, 'message.clientId': clientId });
}

/** Return the original of a duplicate send, after applying it if its writer did not finish. */
async function duplicateResult(ctx: StoreContext, conv: ConversationDoc, original: EventDoc): Promise<AppendResult> {
  const settled = original.seq > conv.lastSeq ? await settle(ctx, conv) : conv;
  return { event: readEvent(original), conversation: toConversation(settled), duplicate: true };
}

/**
 * {@link ChatStore.append} without transactions.
 *
 * Each attempt reads the conversation (its `lastSeq` is the applied watermark), reads what the
 * preconditions need and checks them with core's `checkAppend`, and inserts the event at
 * `lastSeq + 1`. The event's `_id` is derived from (conversationId, seq), so exactly one insert per
 * seq succeeds on any server; the loser gets a duplicate-key error, applies the winner's event if
 * needed, and tries again. A seq n + 1 can only be inserted once n is applied, hence once n exists:
 * seqs appear in order, and a reader never sees a gap filled later.
 *
 * The preconditions are atomic with the append for the same reason. Members, the target message
 * and the conversation's counters change only by the projection of events, which completes before
 * `lastSeq` moves; so the state read after seeing `lastSeq = n` is the state at n unless an event
 * took n + 1 meanwhile, and then our insert at n + 1 fails and the attempt starts over. A
 * successful insert therefore commits on exactly the state it was checked against. No secondary
 * unique index and no transaction is involved. Two inputs are not in the log and change without
 * taking a seq: blocks (contacts) and message expiry. A block applies to the sends that start
 * after it is acknowledged; a send that read the contacts just before may still commit (the
 * Postgres store has the same narrow window). Likewise `targetNotDeleted` sees an expiry only once
 * `expireMessages` wrote it.
 *
 * A send with a clientId that already exists returns the original: checked before the insert (the
 * conversation was read first, so any earlier insert of the same clientId is either seen or
 * collides on its seq) and, on servers with unique indexes, by the unique
 * (conversationId, senderId, clientId) index.
 */
export async function appendEvent(ctx: StoreContext, input: AppendInput): Promise<AppendResult> {
  const { draft } = input;
  const clientId = draft.type === 'message' ? draft.message.clientId : null;
  for (let attempt = 0; attempt < ctx.maxAppendAttempts; attempt++) {
    const conv = await readyConversation(ctx, draft.conversationId);
    if (!conv) throw appendRefused('no-conversation');
    // a resend of a stored message is answered with the original before any precondition: the
    // sender may have left since, but what was acknowledged (or lost with its ack) stays exactly once
    if (draft.type === 'message' && clientId !== null) {
      const original = await findByClientId(ctx, conv.id, draft.message.senderId, clientId);
      if (original) return duplicateResult(ctx, conv, original);
    }
    checkAppend(input, await readAppendState(ctx, conv, input));
    const seq = conv.lastSeq + 1;
    const event = { ...draft, seq } as ConversationEvent;
    if (event.type === 'message') event.message = { ...event.message, seq } as Message;
    const doc = toEventDoc(event, conv.messageCount + (event.type === 'message' ? 1 : 0));
    try {
      await ctx.cols.events.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (draft.type === 'message' && clientId !== null) {
        const original = await findByClientId(ctx, conv.id, draft.message.senderId, clientId);
        if (original) return duplicateResult(ctx, conv, original);
      }
      await backOff(attempt);
      // Help only if the winner has not applied its event by now (it may have died).
      const fresh = await readyConversation(ctx, conv.id);
      if (fresh && fresh.lastSeq < seq) await settle(ctx, fresh);
      continue;
    }
    const conversation = await projectEvent(ctx, conv, doc);
    return { event: readEvent(doc), conversation, duplicate: false };
  }
  throw new ChatError('UNAVAILABLE', `append: seq still taken after ${ctx.maxAppendAttempts} attempts`);
}

/** {@link ChatStore.events}: keyset reads on (conversationId, seq), up to the applied lastSeq. */
export async function readEvents(ctx: StoreContext, query: EventsQuery): Promise<ConversationEvent[]> {
  const conv = await readyConversation(ctx, query.conversationId);
  if (!conv) return [];
  const plan = eventsPlan(query, conv.lastSeq);
  if (!plan) return [];
  const docs = await ctx.cols.events.find(plan.filter).sort(plan.sort).limit(plan.limit).toArray();
  if (plan.reverse) docs.reverse();
  return docs.map(readEvent);
}

/** {@link ChatStore.getMessage}. */
export async function readMessage(ctx: StoreContext, conversation: string, seq: number): Promise<Message | null> {
  const conv = await readyConversation(ctx, conversation);
  if (!conv || seq > conv.lastSeq) return null;
  const doc = await ctx.cols.events.findOne({ _id: eventId(conversation, seq) });
  return doc && doc.type === 'message' ? visibleMessage(storedMessage(doc)) : null;
}

/** The log part of the store. */
export function logMethods(ctx: StoreContext): Pick<ChatStore, 'append' | 'events' | 'getMessage'> {
  return {
    append: (input) => ctx.appendQueue.run(input.draft.conversationId, () => appendEvent(ctx, input)),
    events: (query) => readEvents(ctx, query),
    getMessage: (conversation, seq) => readMessage(ctx, conversation, seq),
  };
}

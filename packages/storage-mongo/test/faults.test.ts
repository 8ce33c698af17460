import { appendRefused, isChatError } from '@parley/core';
import type { ChatStore } from '@parley/core';
import type { Db } from 'mongodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMongoStore } from '../src/index.js';
import { type Interceptor, duplicateKeyError, eventInsert, faultyDb, firstMatch, networkError } from './faulty-db.js';
import { directInput, groupInput, messageDraft } from './fixtures.js';
import { freshDatabase, useTestServer } from './server.js';

const server = useTestServer();
let db: Db;
/** The store under test, on a database whose calls the test may intercept. */
let store: ChatStore;
/** A well-behaved store on the same database (another process). */
let peer: ChatStore;
let intercept: Interceptor = () => undefined;
const noConversation = appendRefused('no-conversation');

beforeEach(async () => {
  db = await freshDatabase(server());
  intercept = () => undefined;
  store = createMongoStore({ db: faultyDb(db, (call) => intercept(call)), capabilities: server().capabilities });
  peer = createMongoStore({ db, capabilities: server().capabilities });
  await peer.createConversation(groupInput('g', ['ann', 'bob'], 1000));
});

/** Intercept the first call matching `match` only. */
function once(match: (c: Parameters<Interceptor>[0]) => boolean, run: Interceptor): void {
  intercept = firstMatch(match, run);
}

describe('duplicate-key handling on append', () => {
  it('retries at the next seq when a concurrent writer took the seq', async () => {
    let inserts = 0;
    intercept = (call) => {
      if (!eventInsert(call)) return undefined;
      inserts += 1;
      if (inserts > 1) return undefined;
      // another process places its event first, then our insert at the same seq collides
      return peer.append({ draft: messageDraft({ conversationId: 'g', senderId: 'bob', at: 1001 }) }).then(call.real);
    };
    const result = await store.append({ draft: messageDraft({ conversationId: 'g', senderId: 'ann', at: 1002, clientId: 'a1' }) });
    expect(inserts).toBe(2);
    expect(result).toMatchObject({ duplicate: false, event: { seq: 3 }, conversation: { lastSeq: 3, messageCount: 2 } });
    const log = await peer.events({ conversationId: 'g', limit: 10, timelineOnly: false });
    expect(log.map((e) => [e.seq, e.actorId])).toEqual([[1, 'ann'], [2, 'bob'], [3, 'ann']]);
  });

  it('retries after a duplicate-key error that left nothing behind', async () => {
    once(eventInsert, () => Promise.reject(duplicateKeyError('conversation_seq')));
    const result = await store.append({ draft: messageDraft({ conversationId: 'g', senderId: 'ann', at: 1002 }) });
    expect(result).toMatchObject({ duplicate: false, event: { seq: 2 } });
    expect(await peer.events({ conversationId: 'g', limit: 10, timelineOnly: false })).toHaveLength(2);
  });

  it('returns the original when the clientId index reports a duplicate', async () => {
    const draft = messageDraft({ conversationId: 'g', senderId: 'ann', at: 1002, clientId: 'same' });
    // A retry of the same send by another process wins; on MongoDB the unique
    // (conversationId, senderId, clientId) index then rejects ours with 11000.
    once(eventInsert, () => peer.append({ draft }).then(() => Promise.reject(duplicateKeyError('conversation_sender_client'))));
    const result = await store.append({ draft });
    expect(result.duplicate).toBe(true);
    expect(result.event).toMatchObject({ seq: 2, type: 'message', message: { clientId: 'same' } });
    const log = await peer.events({ conversationId: 'g', limit: 10, timelineOnly: false });
    expect(log.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('gives up with UNAVAILABLE when every attempt collides', async () => {
    const limited = createMongoStore({
      db: faultyDb(db, (call) => (eventInsert(call) ? Promise.reject(duplicateKeyError('conversation_seq')) : undefined)),
      capabilities: server().capabilities,
      maxAppendAttempts: 3,
    });
    await expect(limited.append({ draft: messageDraft({ conversationId: 'g', senderId: 'ann', at: 1002 }) })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await peer.getConversation('g')).toMatchObject({ lastSeq: 1 });
  });
});

describe('faults', () => {
  it('passes a server error through unchanged (the engine makes it UNAVAILABLE)', async () => {
    const boom = Object.assign(new Error('not primary'), { name: 'MongoServerError', code: 10107 });
    once((c) => c.collection.endsWith('conversations') && c.method === 'findOne', () => Promise.reject(boom));
    const error = await store.append({ draft: messageDraft({ conversationId: 'g', senderId: 'ann', at: 1002 }) }).catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(isChatError(error)).toBe(false);
  });

  it('deduplicates a send retried after the connection dropped behind a successful insert', async () => {
    const draft = messageDraft({ conversationId: 'g', senderId: 'ann', at: 1002, clientId: 'net' });
    once(eventInsert, (call) => call.real().then(() => Promise.reject(networkError())));
    await expect(store.append({ draft })).rejects.toMatchObject({ name: 'MongoNetworkError' });
    // the event is written but not applied: readers do not see it yet
    expect(await peer.getConversation('g')).toMatchObject({ lastSeq: 1 });
    expect(await peer.events({ conversationId: 'g', limit: 10, timelineOnly: false })).toHaveLength(1);
    const retried = await store.append({ draft });
    expect(retried).toMatchObject({ duplicate: true, event: { seq: 2 }, conversation: { lastSeq: 2, messageCount: 1 } });
    expect(await peer.getMember('g', 'ann')).toMatchObject({ readSeq: 2, readOrd: 1 });
    expect(await peer.events({ conversationId: 'g', limit: 10, timelineOnly: false })).toHaveLength(2);
  });

  it('lets the next writer finish an append whose writer died before advancing the conversation', async () => {
    once((c) => c.collection.endsWith('conversations') && c.method === 'updateOne', () => Promise.reject(networkError()));
    await expect(store.append({ draft: { type: 'member.joined', conversationId: 'g', actorId: 'ann', at: 1002, userId: 'cy', role: 'member' } })).rejects.toThrow();
    const next = await peer.append({ draft: messageDraft({ conversationId: 'g', senderId: 'bob', at: 1003 }) });
    expect(next.event.seq).toBe(3);
    expect(next.conversation).toMatchObject({ lastSeq: 3, memberCount: 3, messageCount: 1 });
    expect(await peer.getMember('g', 'cy')).toMatchObject({ joinSeq: 2, leftSeq: null });
  });

  it('never shows a conversation whose creation failed half-way', async () => {
    once(eventInsert, () => Promise.reject(networkError()));
    await expect(store.createConversation(groupInput('half', ['ann', 'cy'], 2000))).rejects.toThrow();
    expect(await peer.getConversation('half')).toBeNull();
    expect((await peer.inbox({ userId: 'cy', limit: 10 })).map((r) => r.conversation.id)).toEqual([]);
    expect(await peer.unreadTotal({ userId: 'cy', now: 3000 })).toEqual({ total: 0, conversations: 0 });
    expect(await peer.changedMemberships({ userId: 'cy', since: 0 })).toEqual([]);
    expect(await peer.sharesConversation('ann', 'cy')).toBe(false);
    await expect(peer.append({ draft: messageDraft({ conversationId: 'half', senderId: 'ann', at: 2001 }) })).rejects.toMatchObject({ code: noConversation.code, message: noConversation.message });
  });

  it('finishes a direct conversation whose creator died after claiming the pair', async () => {
    once((c) => c.collection.endsWith('conversations') && c.method === 'updateOne', () => Promise.reject(networkError()));
    await expect(store.createConversation(directInput('dm', 'ann', 'cy', 2000))).rejects.toThrow();
    expect(await peer.getConversation('dm')).toBeNull();
    const again = await peer.createConversation(directInput('dm2', 'cy', 'ann', 2001));
    expect(again).toMatchObject({ created: false, conversation: { id: 'dm', lastSeq: 1 } });
    expect(await peer.getConversation('dm')).toMatchObject({ id: 'dm' });
    expect((await peer.listMembers({ conversationId: 'dm', limit: 5 })).map((m) => m.userId)).toEqual(['ann', 'cy']);
    expect(await peer.events({ conversationId: 'dm', limit: 5, timelineOnly: false })).toMatchObject([{ type: 'conversation.created', seq: 1 }]);
  });
});

import { appendRefused, createMemoryStore } from '@parley/core';
import type { AppendInput, AppendRefusal, ChatStore } from '@parley/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMongoStore } from '../src/index.js';
import { directInput, groupInput, messageDraft } from './fixtures.js';
import { freshDatabase, useTestServer } from './server.js';

const server = useTestServer();
let store: ChatStore;
let memory: ChatStore;

beforeEach(async () => {
  const db = await freshDatabase(server());
  store = createMongoStore({ db, capabilities: server().capabilities });
  memory = createMemoryStore();
});

/** Run the same call on the reference store and the Mongo store; both results must be equal. */
async function both<T>(call: (s: ChatStore) => Promise<T>): Promise<T> {
  const expected = await call(memory);
  const actual = await call(store);
  expect(actual).toEqual(expected);
  return actual;
}

/** The append must be refused by both stores with exactly the canonical error of `refusal`. */
async function bothRefuse(input: AppendInput, refusal: AppendRefusal): Promise<void> {
  const expected = appendRefused(refusal, input);
  for (const s of [memory, store]) {
    await expect(s.append(input), refusal).rejects.toMatchObject({ code: expected.code, message: expected.message });
  }
}

describe('mongo store against the reference store', () => {
  it('creates a group, appends messages and mutations, and reads the same history', async () => {
    await both((s) => s.createConversation(groupInput('g1', ['ann', 'bob', 'cy'], 1000)));
    await both((s) => s.append({ draft: messageDraft({ conversationId: 'g1', senderId: 'ann', at: 1001, clientId: 'c1', text: 'first' }), requireActiveMember: 'ann' }));
    await both((s) => s.append({ draft: messageDraft({ conversationId: 'g1', senderId: 'bob', at: 1002, clientId: 'c1', text: 'second' }), requireActiveMember: 'bob' }));
    await both((s) => s.append({ draft: { type: 'message.edited', conversationId: 'g1', actorId: 'ann', at: 1003, target: 2, text: 'first!' } }));
    await both((s) => s.append({ draft: { type: 'message.reaction', conversationId: 'g1', actorId: 'cy', at: 1004, target: 3, emoji: '👍', added: true } }));
    await both((s) => s.append({ draft: { type: 'message.deleted', conversationId: 'g1', actorId: 'bob', at: 1005, target: 3 } }));
    await both((s) => s.append({ draft: { type: 'member.left', conversationId: 'g1', actorId: 'cy', at: 1006, userId: 'cy', removed: false } }));
    await both((s) => s.append({ draft: messageDraft({ conversationId: 'g1', senderId: 'ann', at: 1007, text: 'after cy left' }) }));
    await both((s) => s.append({ draft: { type: 'member.joined', conversationId: 'g1', actorId: 'ann', at: 1008, userId: 'cy', role: 'member' } }));
    await both((s) => s.append({ draft: { type: 'member.role', conversationId: 'g1', actorId: 'ann', at: 1009, userId: 'bob', role: 'admin' } }));
    await both((s) => s.append({ draft: { type: 'conversation.updated', conversationId: 'g1', actorId: 'ann', at: 1010, changes: { title: 'renamed', messageTtlSeconds: 60 } } }));

    const history = await both((s) => s.events({ conversationId: 'g1', limit: 100, timelineOnly: false }));
    expect(history.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await both((s) => s.events({ conversationId: 'g1', limit: 3, timelineOnly: true }));
    await both((s) => s.events({ conversationId: 'g1', after: 2, limit: 3, timelineOnly: true }));
    await both((s) => s.events({ conversationId: 'g1', before: 8, minSeq: 3, limit: 10, timelineOnly: false }));
    const deleted = await both((s) => s.getMessage('g1', 3));
    expect(deleted).toMatchObject({ text: null, reactions: {}, deletedAt: 1005 });
    await both((s) => s.getConversation('g1'));
    for (const u of ['ann', 'bob', 'cy']) {
      await both((s) => s.getMember('g1', u));
      await both((s) => s.inbox({ userId: u, limit: 10 }));
      await both((s) => s.unreadTotal({ userId: u, now: 2000 }));
      await both((s) => s.changedMemberships({ userId: u, since: 1005 }));
    }
    await both((s) => s.listMembers({ conversationId: 'g1', limit: 10 }));
    await both(async (s) => (await s.memberIds('g1')).sort());
    await both((s) => s.receipts('g1').then((r) => r.sort((a, b) => (a.userId < b.userId ? -1 : 1))));
  });

  it('deduplicates a resent clientId and returns the original', async () => {
    await both((s) => s.createConversation(groupInput('g2', ['ann', 'bob'], 1000)));
    const first = await both((s) => s.append({ draft: messageDraft({ conversationId: 'g2', senderId: 'ann', at: 1001, clientId: 'x' }) }));
    const again = await store.append({ draft: messageDraft({ conversationId: 'g2', senderId: 'ann', at: 1050, clientId: 'x', text: 'different' }) });
    expect(again.duplicate).toBe(true);
    expect(again.event).toEqual(first.event);
    expect((await store.getConversation('g2'))?.lastSeq).toBe(2);
  });

  it('enforces the append preconditions without writing, with the same refusals as the reference store', async () => {
    await both((s) => s.createConversation(groupInput('g3', ['ann', 'bob'], 1000)));
    await bothRefuse({ draft: messageDraft({ conversationId: 'g3', senderId: 'zed', at: 1001 }), requireActiveMember: 'zed' }, 'never-member');
    await bothRefuse({ draft: { type: 'member.joined', conversationId: 'g3', actorId: 'ann', at: 1001, userId: 'bob', role: 'member' } }, 'already-member');
    await bothRefuse({ draft: { type: 'member.left', conversationId: 'g3', actorId: 'ann', at: 1001, userId: 'zed', removed: true } }, 'not-member');
    await bothRefuse({ draft: { type: 'message.deleted', conversationId: 'g3', actorId: 'ann', at: 1001, target: 1 } }, 'no-target');
    await bothRefuse({ draft: messageDraft({ conversationId: 'nope', senderId: 'ann', at: 1001 }) }, 'no-conversation');
    expect((await store.getConversation('g3'))?.lastSeq).toBe(1);
    expect(await store.events({ conversationId: 'g3', limit: 10, timelineOnly: false })).toHaveLength(1);
  });

  it('keeps one direct conversation per pair', async () => {
    const a = await both((s) => s.createConversation(directInput('d1', 'bob', 'ann', 1000)));
    expect(a.created).toBe(true);
    const b = await both((s) => s.createConversation(directInput('d2', 'ann', 'bob', 1001)));
    expect(b).toMatchObject({ created: false, conversation: { id: 'd1' } });
    await both((s) => s.findDirect(['ann', 'bob']));
    expect(await store.getConversation('d2')).toBeNull();
    expect(await store.getMember('d2', 'ann')).toBeNull();
  });

  it('moves watermarks forward only and keeps unread exact', async () => {
    await both((s) => s.createConversation(groupInput('g4', ['ann', 'bob'], 1000)));
    for (let i = 0; i < 5; i++) await both((s) => s.append({ draft: messageDraft({ conversationId: 'g4', senderId: 'ann', at: 1001 + i }) }));
    await both((s) => s.append({ draft: { type: 'message.reaction', conversationId: 'g4', actorId: 'bob', at: 1010, target: 2, emoji: 'x', added: true } }));
    await both((s) => s.advanceWatermarks({ conversationId: 'g4', userId: 'bob', deliveredSeq: 5, now: 1011 }));
    await both((s) => s.advanceWatermarks({ conversationId: 'g4', userId: 'bob', readSeq: 4, now: 1012 }));
    await both((s) => s.advanceWatermarks({ conversationId: 'g4', userId: 'bob', readSeq: 2, deliveredSeq: 1, now: 1013 }));
    await both((s) => s.advanceWatermarks({ conversationId: 'g4', userId: 'zed', readSeq: 2, now: 1013 }));
    const rows = await both((s) => s.inbox({ userId: 'bob', limit: 5 }));
    expect(rows[0]?.unread).toBe(2);
    await both((s) => s.setMuted({ conversationId: 'g4', userId: 'bob', mutedUntil: 5000, now: 1014 }));
    await both((s) => s.unreadTotal({ userId: 'bob', now: 2000 }));
    await both((s) => s.unreadTotal({ userId: 'bob', now: 6000 }));
  });

  it('concurrent watermark updates end at the maxima', async () => {
    await store.createConversation(groupInput('g5', ['ann', 'bob'], 1000));
    for (let i = 0; i < 6; i++) await store.append({ draft: messageDraft({ conversationId: 'g5', senderId: 'ann', at: 1001 + i }) });
    const seqs = [3, 7, 2, 5, 6, 4];
    await Promise.all(seqs.map((readSeq, i) => store.advanceWatermarks({ conversationId: 'g5', userId: 'bob', readSeq, now: 1100 + i })));
    expect(await store.getMember('g5', 'bob')).toMatchObject({ readSeq: 7, deliveredSeq: 7, readOrd: 6 });
  });

  it('users, contacts, channels, hidden messages, search and calls behave like the reference', async () => {
    await both((s) => s.upsertUser({ id: 'ann', displayName: 'Ann Lee', now: 1 }));
    await both((s) => s.upsertUser({ id: 'bob', displayName: 'Bob', metadata: { a: 1 }, now: 2 }));
    await both((s) => s.upsertUser({ id: 'ann', statusText: 'busy', now: 3 }));
    await both((s) => s.setLastSeen({ userId: 'ann', at: 50 }));
    await both((s) => s.setLastSeen({ userId: 'ann', at: 40 }));
    await both((s) => s.getUsers(['bob', 'nobody']));
    await both((s) => s.searchUsers({ query: 'AN', limit: 5 }));
    await both((s) => s.putContact({ ownerId: 'ann', userId: 'bob', alias: 'B', now: 5 }));
    await both((s) => s.putContact({ ownerId: 'ann', userId: 'bob', blocked: true, now: 6 }));
    await both((s) => s.isBlockedEitherWay('bob', 'ann'));
    await both((s) => s.listContacts('ann'));
    await both((s) => s.removeContact({ ownerId: 'ann', userId: 'bob' }));
    await both((s) => s.removeContact({ ownerId: 'ann', userId: 'bob' }));
    await both((s) => s.getContact('ann', 'bob'));

    await both((s) => s.createConversation({ ...groupInput('ch1', ['ann'], 10), kind: 'channel', title: 'General chat' }));
    await both((s) => s.createConversation({ ...groupInput('ch2', ['bob'], 11), kind: 'channel', title: 'Random' }));
    await both((s) => s.listChannels({ query: 'CHAT', limit: 5 }));
    await both((s) => s.listChannels({ afterId: 'ch1', limit: 5 }));
    await both((s) => s.sharesConversation('ann', 'bob'));
    await both((s) => s.createConversation(groupInput('g6', ['ann', 'bob'], 12)));
    await both((s) => s.sharesConversation('ann', 'bob'));

    for (const [i, text] of ['the quick fox', 'a slow Fox', 'nothing here', 'fox again'].entries()) {
      await both((s) => s.append({ draft: messageDraft({ conversationId: 'g6', senderId: i % 2 ? 'bob' : 'ann', at: 20 + i, text }) }));
    }
    await both((s) => s.hide({ userId: 'ann', conversationId: 'g6', seq: 3, now: 30 }));
    await both((s) => s.hide({ userId: 'ann', conversationId: 'g6', seq: 3, now: 31 }));
    await both((s) => s.hiddenSeqs({ userId: 'ann', conversationId: 'g6' }));
    if (store.capabilities?.fullTextSearch === false) {
      const hits = await both((s) => s.search({ userId: 'ann', query: 'fox', limit: 10 }));
      expect(hits.map((h) => h.seq)).toEqual([5, 2]);
      await both((s) => s.search({ userId: 'ann', query: 'fox', limit: 1 }));
      await both((s) => s.search({ userId: 'bob', query: 'fox', limit: 10, before: { createdAt: 23, conversationId: 'g6', seq: 5 } }));
      await both((s) => s.search({ userId: 'zed', query: 'fox', limit: 10 }));
    }

    const call = { id: 'call1', conversationId: 'g6', initiatorId: 'ann', media: 'audio' as const, status: 'ringing' as const, participants: [{ userId: 'ann', state: 'joined' as const, joinedAt: 40, leftAt: null }, { userId: 'bob', state: 'ringing' as const, joinedAt: null, leftAt: null }], startedAt: 40, answeredAt: null, endedAt: null, durationMs: null };
    await both((s) => s.append({ draft: { type: 'call', conversationId: 'g6', actorId: 'ann', at: 40, call } }));
    await both((s) => s.activeCall('g6'));
    await both((s) => s.append({ draft: { type: 'call', conversationId: 'g6', actorId: 'ann', at: 41, call: { ...call, status: 'ended', endedAt: 41, durationMs: 0 } } }));
    await both((s) => s.activeCall('g6'));
    await both((s) => s.getCall('call1'));
    await both((s) => s.listCalls({ userId: 'bob', limit: 5 }));
  });

  it('purges deleted content and expires old messages like the reference', async () => {
    await both((s) => s.createConversation(groupInput('g7', ['ann', 'bob'], 1000)));
    await both((s) => s.append({ draft: messageDraft({ conversationId: 'g7', senderId: 'ann', at: 1001, text: 'secret' }) }));
    await both((s) => s.append({ draft: { type: 'message.edited', conversationId: 'g7', actorId: 'ann', at: 1002, target: 2, text: 'secret 2' } }));
    await both((s) => s.append({ draft: { type: 'message.deleted', conversationId: 'g7', actorId: 'ann', at: 1003, target: 2 } }));
    await both((s) => s.append({ draft: messageDraft({ conversationId: 'g7', senderId: 'bob', at: 1004, text: 'stays' }) }));
    expect(await both((s) => s.purgeDeleted({ deletedBefore: 1003 }))).toBe(0);
    expect(await both((s) => s.purgeDeleted({ deletedBefore: 1004 }))).toBe(1);
    expect(await both((s) => s.purgeDeleted({ deletedBefore: 1004 }))).toBe(0);
    await both((s) => s.events({ conversationId: 'g7', limit: 10, timelineOnly: false }));
    await both((s) => s.append({ draft: { type: 'conversation.updated', conversationId: 'g7', actorId: 'ann', at: 1005, changes: { messageTtlSeconds: 1 } } }));
    expect(await both((s) => s.expireMessages({ now: 1004 + 1000 }))).toBe(0);
    expect(await both((s) => s.expireMessages({ now: 1005 + 1000 }))).toBe(1);
    await both((s) => s.getConversation('g7'));
    await both((s) => s.events({ conversationId: 'g7', limit: 10, timelineOnly: false }));
  });
});

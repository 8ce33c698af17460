import { randomUUID } from 'node:crypto';
import { createMemoryStore, isChatError } from '@parley/core';
import type { ChatStore, EventDraft } from '@parley/core';
import { describe, expect, it } from 'vitest';
import { messageDraft, seedConversation } from './drafts.js';

/** How a suite gets a store: `store()` returns the store for the current test (after `reset`). */
export interface SuiteTarget {
  store: () => ChatStore;
}

const seqsOf = (events: Array<{ seq: number }>) => events.map((e) => e.seq);

/** The focused store tests, run against PGlite and against a Postgres server. */
export function defineStoreSuite(target: SuiteTarget): void {
  describe('append', () => {
    it('assigns gap-free seqs under 50 concurrent senders', async () => {
      const store = target.store();
      const users = Array.from({ length: 50 }, (_, i) => `u${String(i).padStart(2, '0')}`);
      const cid = await seedConversation(store, { users });
      const results = await Promise.all(users.map((u) => store.append({ draft: messageDraft({ conversationId: cid, senderId: u }), requireActiveMember: u })));
      const seqs = results.map((r) => r.event.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
      const conversation = await store.getConversation(cid);
      expect(conversation).toMatchObject({ lastSeq: 51, messageCount: 50 });
      const events = await store.events({ conversationId: cid, limit: 100, timelineOnly: false });
      expect(seqsOf(events)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
      // each sender's own watermark follows its message
      for (const r of results) {
        if (r.event.type !== 'message') throw new Error('not a message');
        const m = await store.getMember(cid, r.event.message.senderId);
        expect(m!.readSeq).toBeGreaterThanOrEqual(r.event.seq);
      }
    });

    it('never lets a reader see a smaller seq after a larger one', async () => {
      const store = target.store();
      const users = ['a', 'b', 'c', 'd'];
      const cid = await seedConversation(store, { users });
      let done = false;
      let maxSeen = 1;
      const violations: string[] = [];
      const seen = new Set<number>();
      const reader = (async () => {
        while (!done) {
          const events = await store.events({ conversationId: cid, after: 0, limit: 1000, timelineOnly: false });
          const seqs = seqsOf(events);
          for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i + 1) violations.push(`gap at ${i + 1}: ${seqs.join(',')}`);
          for (const s of seqs) if (!seen.has(s) && s < maxSeen) violations.push(`late ${s} after ${maxSeen}`);
          for (const s of seqs) seen.add(s);
          maxSeen = Math.max(maxSeen, ...seqs);
        }
      })();
      await Promise.all(
        users.flatMap((u) => Array.from({ length: 10 }, () => store.append({ draft: messageDraft({ conversationId: cid, senderId: u }) }))),
      );
      done = true;
      await reader;
      expect(violations).toEqual([]);
    });

    it('returns the original for 10 concurrent retries with one clientId', async () => {
      const store = target.store();
      const cid = await seedConversation(store, { users: ['a', 'b'] });
      const clientId = randomUUID();
      const draft = messageDraft({ conversationId: cid, senderId: 'a', clientId, text: 'once' });
      const results = await Promise.all(Array.from({ length: 10 }, () => store.append({ draft, requireActiveMember: 'a' })));
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.event.seq)).size).toBe(1);
      const events = await store.events({ conversationId: cid, limit: 100, timelineOnly: false });
      expect(events.filter((e) => e.type === 'message')).toHaveLength(1);
      expect((await store.getConversation(cid))!.lastSeq).toBe(2);
      // a later retry is a duplicate too
      const again = await store.append({ draft });
      expect(again.duplicate).toBe(true);
      expect(again.event).toEqual(events[1]);
    });

    it('refuses sends of non-members and unknown conversations without writing', async () => {
      const store = target.store();
      const cid = await seedConversation(store, { users: ['a', 'b'] });
      await expect(store.append({ draft: messageDraft({ conversationId: cid, senderId: 'z' }), requireActiveMember: 'z' })).rejects.toSatisfy((e) =>
        isChatError(e, 'FORBIDDEN'),
      );
      // an unknown conversation answers like one the sender is not in: ids cannot be probed
      await expect(store.append({ draft: messageDraft({ conversationId: randomUUID(), senderId: 'a' }) })).rejects.toSatisfy((e) =>
        isChatError(e, 'FORBIDDEN'),
      );
      expect((await store.getConversation(cid))!.lastSeq).toBe(1);
    });

    it('keeps one direct conversation per pair under concurrent creation', async () => {
      const store = target.store();
      for (const id of ['p', 'q']) await store.upsertUser({ id, displayName: id, now: 1 });
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.createConversation({
            id: randomUUID(),
            kind: 'direct',
            title: null,
            avatarUrl: null,
            createdBy: 'p',
            metadata: {},
            directPair: ['p', 'q'],
            members: [
              { userId: 'p', role: 'member' },
              { userId: 'q', role: 'member' },
            ],
            now: 5,
          }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.conversation.id)).size).toBe(1);
    });
  });

  describe('watermarks, inbox and unread', () => {
    it('never moves watermarks backwards under concurrent updates', async () => {
      const store = target.store();
      const cid = await seedConversation(store, { users: ['a', 'b'] });
      for (let i = 0; i < 20; i++) await store.append({ draft: messageDraft({ conversationId: cid, senderId: 'a' }) });
      const values = Array.from({ length: 21 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
      await Promise.all(values.map((v, i) => store.advanceWatermarks({ conversationId: cid, userId: 'b', readSeq: v, deliveredSeq: Math.min(21, v + (i % 3)), now: 2_000 + i })));
      const m = await store.getMember(cid, 'b');
      expect(m).toMatchObject({ readSeq: 21, deliveredSeq: 21, readOrd: 20 });
      const back = await store.advanceWatermarks({ conversationId: cid, userId: 'b', readSeq: 3, deliveredSeq: 2, now: 9_999 });
      expect(back).toMatchObject({ readSeq: 21, deliveredSeq: 21, updatedAt: m!.updatedAt });
    });

    it('lists the inbox by activity with exact unread counts', async () => {
      const store = target.store();
      const c1 = await seedConversation(store, { users: ['a', 'b'], kind: 'direct' });
      const c2 = await seedConversation(store, { users: ['a', 'c', 'd'] });
      await store.append({ draft: messageDraft({ conversationId: c1, senderId: 'b', at: 2_000 }) });
      await store.append({ draft: messageDraft({ conversationId: c2, senderId: 'c', at: 3_000 }) });
      await store.append({ draft: messageDraft({ conversationId: c2, senderId: 'd', at: 4_000 }) });
      const inbox = await store.inbox({ userId: 'a', limit: 10 });
      expect(inbox.map((r) => [r.conversation.id, r.unread])).toEqual([
        [c2, 2],
        [c1, 1],
      ]);
      expect(inbox[0]!.conversation.lastMessage).toMatchObject({ seq: 3, senderId: 'd', text: 'hello', deleted: false });
      const page2 = await store.inbox({ userId: 'a', limit: 10, after: { lastActivityAt: 4_000, conversationId: c2 } });
      expect(page2.map((r) => r.conversation.id)).toEqual([c1]);
      expect(await store.unreadTotal({ userId: 'a', now: 5_000 })).toEqual({ total: 3, conversations: 2 });
      await store.setMuted({ conversationId: c2, userId: 'a', mutedUntil: 10_000, now: 5_000 });
      expect(await store.unreadTotal({ userId: 'a', now: 5_000 })).toEqual({ total: 1, conversations: 1 });
      await store.advanceWatermarks({ conversationId: c1, userId: 'a', readSeq: 2, now: 6_000 });
      expect(await store.unreadTotal({ userId: 'a', now: 20_000 })).toEqual({ total: 2, conversations: 1 });
      // a send moves the sender's own read position
      await store.append({ draft: messageDraft({ conversationId: c2, senderId: 'a', at: 7_000 }) });
      expect(await store.unreadTotal({ userId: 'a', now: 20_000 })).toEqual({ total: 0, conversations: 0 });
    });
  });

  describe('search and retention', () => {
    it('finds words within what the user may see, newest first', async () => {
      const store = target.store();
      const cid = await seedConversation(store, { users: ['a', 'b'] });
      const other = await seedConversation(store, { users: ['c', 'd'] });
      await store.append({ draft: messageDraft({ conversationId: cid, senderId: 'a', text: 'Lunch at noon?', at: 2_000 }) });
      await store.append({ draft: messageDraft({ conversationId: cid, senderId: 'b', text: 'lunch sounds great', at: 3_000 }) });
      await store.append({ draft: messageDraft({ conversationId: other, senderId: 'c', text: 'secret lunch', at: 4_000 }) });
      const hits = await store.search({ userId: 'a', query: 'lunch', limit: 10 });
      expect(hits.map((h) => h.text)).toEqual(['lunch sounds great', 'Lunch at noon?']);
      expect((await store.search({ userId: 'a', query: 'lun', limit: 10 })).length).toBe(2);
      const next = await store.search({ userId: 'a', query: 'lunch', limit: 10, before: { createdAt: 3_000, conversationId: cid, seq: 3 } });
      expect(next.map((h) => h.seq)).toEqual([2]);
      await store.hide({ userId: 'a', conversationId: cid, seq: 3, now: 5_000 });
      expect((await store.search({ userId: 'a', query: 'lunch', limit: 10 })).map((h) => h.seq)).toEqual([2]);
      await store.append({ draft: { type: 'message.deleted', conversationId: cid, actorId: 'a', at: 6_000, target: 2 } });
      expect(await store.search({ userId: 'a', query: 'lunch', limit: 10 })).toEqual([]);
      expect(await store.search({ userId: 'b', query: 'lunch', limit: 10 })).toHaveLength(1);
      expect(await store.purgeDeleted({ deletedBefore: 7_000 })).toBe(1);
      expect(await store.purgeDeleted({ deletedBefore: 7_000 })).toBe(0);
    });
  });

  describe('matches the reference memory store', () => {
    it('gives the same answers for a scripted session', async () => {
      const mem = createMemoryStore();
      const pg = target.store();
      const g = randomUUID();
      const d = randomUUID();
      const call = randomUUID();
      const steps: Array<(s: ChatStore) => Promise<unknown>> = [
        (s) => s.upsertUser({ id: 'ann', displayName: 'Ann', metadata: { team: 'x' }, now: 1 }),
        (s) => s.upsertUser({ id: 'bob', displayName: 'bob', now: 2 }),
        (s) => s.upsertUser({ id: 'cy', displayName: 'Cy', statusText: 'hi', now: 3 }),
        (s) => s.upsertUser({ id: 'ann', avatarUrl: 'https://a/x.png', now: 4 }),
        (s) => s.getUsers(['ann', 'nobody', 'cy']),
        (s) => s.searchUsers({ query: 'B', limit: 5 }),
        (s) => s.setLastSeen({ userId: 'bob', at: 50 }),
        (s) => s.setLastSeen({ userId: 'bob', at: 40 }),
        (s) => s.putContact({ ownerId: 'ann', userId: 'bob', alias: 'B', now: 5 }),
        (s) => s.putContact({ ownerId: 'ann', userId: 'bob', blocked: true, now: 6 }),
        (s) => s.putContact({ ownerId: 'ann', userId: 'cy', now: 6 }),
        (s) => s.listContacts('ann'),
        (s) => s.isBlockedEitherWay('bob', 'ann'),
        (s) => s.removeContact({ ownerId: 'ann', userId: 'cy' }),
        (s) => s.removeContact({ ownerId: 'ann', userId: 'cy' }),
        (s) => s.createConversation({ id: g, kind: 'group', title: 'G', avatarUrl: null, createdBy: 'ann', metadata: { a: 1 }, directPair: [], members: [{ userId: 'ann', role: 'owner' }, { userId: 'bob', role: 'member' }], now: 10 }),
        (s) => s.createConversation({ id: d, kind: 'direct', title: null, avatarUrl: null, createdBy: 'ann', metadata: {}, directPair: ['ann', 'cy'], members: [{ userId: 'ann', role: 'member' }, { userId: 'cy', role: 'member' }], now: 11 }),
        (s) => s.findDirect(['ann', 'cy']),
        (s) => s.sharesConversation('bob', 'cy'),
        (s) => s.append({ draft: fixed(messageDraft({ conversationId: g, senderId: 'ann', text: 'first', clientId: 'k1', at: 20 }), 1), requireActiveMember: 'ann' }),
        (s) => s.append({ draft: fixed(messageDraft({ conversationId: g, senderId: 'bob', text: 'second', clientId: 'k2', at: 21 }), 2) }),
        (s) => s.append({ draft: { type: 'message.reaction', conversationId: g, actorId: 'bob', at: 22, target: 2, emoji: '👍', added: true } }),
        (s) => s.append({ draft: { type: 'message.edited', conversationId: g, actorId: 'ann', at: 23, target: 2, text: 'first!' } }),
        (s) => s.append({ draft: { type: 'message.pinned', conversationId: g, actorId: 'ann', at: 24, target: 2, pinned: true } }),
        (s) => s.append({ draft: { type: 'member.joined', conversationId: g, actorId: 'ann', at: 25, userId: 'cy', role: 'member' } }),
        (s) => s.append({ draft: { type: 'member.joined', conversationId: g, actorId: 'ann', at: 25, userId: 'cy', role: 'member' } }).catch((e: unknown) => (e as { code: string }).code),
        (s) => s.sharesConversation('bob', 'cy'),
        (s) => s.append({ draft: { type: 'member.role', conversationId: g, actorId: 'ann', at: 26, userId: 'bob', role: 'admin' } }),
        (s) => s.append({ draft: { type: 'member.left', conversationId: g, actorId: 'ann', at: 27, userId: 'cy', removed: true } }),
        (s) => s.append({ draft: fixed(messageDraft({ conversationId: g, senderId: 'bob', text: 'third', clientId: 'k3', at: 28 }), 3) }),
        (s) => s.append({ draft: { type: 'member.joined', conversationId: g, actorId: 'cy', at: 29, userId: 'cy', role: 'member' } }),
        (s) => s.append({ draft: { type: 'conversation.updated', conversationId: g, actorId: 'ann', at: 30, changes: { title: 'G2', metadata: {} } } }),
        (s) => s.append({ draft: { type: 'call', conversationId: g, actorId: 'ann', at: 31, call: { id: call, conversationId: g, initiatorId: 'ann', media: 'audio', status: 'ringing', participants: [{ userId: 'ann', state: 'joined', joinedAt: 31, leftAt: null }, { userId: 'bob', state: 'ringing', joinedAt: null, leftAt: null }], startedAt: 31, answeredAt: null, endedAt: null, durationMs: null } } }),
        (s) => s.activeCall(g),
        (s) => s.listCalls({ userId: 'bob', limit: 5 }),
        (s) => s.append({ draft: { type: 'message.deleted', conversationId: g, actorId: 'bob', at: 32, target: 10 } }),
        (s) => s.append({ draft: { type: 'message.edited', conversationId: g, actorId: 'bob', at: 32, target: 99, text: 'x' } }).catch((e: unknown) => (e as { code: string }).code),
        (s) => s.append({ draft: fixed(messageDraft({ conversationId: g, senderId: 'bob', text: 'second', clientId: 'k2', at: 33 }), 2) }),
        (s) => s.advanceWatermarks({ conversationId: g, userId: 'cy', readSeq: 11, now: 34 }),
        (s) => s.advanceWatermarks({ conversationId: g, userId: 'bob', deliveredSeq: 5, now: 35 }),
        (s) => s.setMuted({ conversationId: g, userId: 'bob', mutedUntil: 100, now: 36 }),
        (s) => s.hide({ userId: 'bob', conversationId: g, seq: 2, now: 37 }),
        (s) => s.hiddenSeqs({ userId: 'bob', conversationId: g }),
        (s) => s.getConversation(g),
        (s) => s.getMember(g, 'cy'),
        (s) => s.listMembers({ conversationId: g, limit: 10 }),
        (s) => s.listMembers({ conversationId: g, afterUserId: 'ann', limit: 1 }),
        (s) => s.memberIds(g).then((ids) => ids.sort()),
        (s) => s.receipts(g).then((r) => r.sort((a, b) => (a.userId < b.userId ? -1 : 1))),
        (s) => s.events({ conversationId: g, limit: 100, timelineOnly: false }),
        (s) => s.events({ conversationId: g, limit: 3, timelineOnly: true }),
        (s) => s.events({ conversationId: g, after: 2, limit: 3, timelineOnly: true }),
        (s) => s.events({ conversationId: g, before: 9, minSeq: 3, maxSeq: 7, limit: 10, timelineOnly: false }),
        (s) => s.getMessage(g, 2),
        (s) => s.getMessage(g, 10),
        (s) => s.getMessage(g, 3),
        (s) => s.inbox({ userId: 'ann', limit: 10 }),
        (s) => s.inbox({ userId: 'cy', limit: 10 }),
        (s) => s.unreadTotal({ userId: 'cy', now: 40 }),
        (s) => s.changedMemberships({ userId: 'cy', since: 0 }).then((r) => r.sort((a, b) => (a.conversation.id < b.conversation.id ? -1 : 1))),
        (s) => s.changedMemberships({ userId: 'ann', since: 30 }),
        (s) => s.listChannels({ limit: 10 }),
        (s) => s.append({ draft: { type: 'conversation.updated', conversationId: g, actorId: 'ann', at: 40, changes: { messageTtlSeconds: 1 } } }),
        (s) => s.expireMessages({ now: 25_000 }),
        (s) => s.getConversation(g),
        (s) => s.events({ conversationId: g, limit: 100, timelineOnly: false }),
        (s) => s.purgeDeleted({ deletedBefore: 30_000 }),
        (s) => s.events({ conversationId: g, limit: 100, timelineOnly: false }),
      ];
      for (const [i, step] of steps.entries()) {
        const expected = await step(mem);
        const actual = await step(pg);
        expect({ step: i, value: actual }).toEqual({ step: i, value: expected });
      }
    });
  });
}

/** Give a draft a fixed message id so two stores get identical input. */
function fixed(draft: EventDraft, n: number): EventDraft {
  if (draft.type !== 'message') return draft;
  return { ...draft, message: { ...draft.message, id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}` } };
}

import type { ConversationEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { allEvents, createWorld, expectCode, messagesIn, range, seqsOf, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const isMutation = (e: ConversationEvent) => 'target' in e;

/** Invariant 1 without concurrency: seq assignment, event reads, keyset pagination. */
export function orderingSuite(o: ResolvedStoreOptions): void {
  describe('ordering', () => {
    const store = useStore(o);

    it('createConversation writes conversation.created at seq 1 with every member at joinSeq 1', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const { conversation, created } = await w.store.createConversation({
        id: w.id('g'),
        kind: 'group',
        title: 'G',
        avatarUrl: null,
        createdBy: a!,
        metadata: { k: 1 },
        directPair: [],
        members: [
          { userId: a!, role: 'owner' },
          { userId: b!, role: 'member' },
          { userId: c!, role: 'admin' },
        ],
        now: 1000,
      });
      expect(created).toBe(true);
      expect(conversation).toMatchObject({ id: w.id('g'), lastSeq: 1, messageCount: 0, memberCount: 3, lastActivityAt: 1000, lastMessage: null, metadata: { k: 1 } });
      const events = await allEvents(w.store, conversation.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'conversation.created', seq: 1, actorId: a, kind: 'group', title: 'G' });
      const members = await w.store.listMembers({ conversationId: conversation.id, limit: 10 });
      expect(members.map((m) => m.userId)).toEqual([a, b, c].sort());
      for (const m of members) expect(m).toMatchObject({ joinSeq: 1, leftSeq: null, readSeq: 1, deliveredSeq: 1 });
      expect((await w.store.getMember(conversation.id, c!))?.role).toBe('admin');
    });

    it('every event takes lastSeq + 1; messageCount counts message events only', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!] });
      const m1 = await w.chat.as(a!).send({ conversationId: g.id, clientId: '1', text: 'one' });
      await w.chat.as(a!).edit({ conversationId: g.id, seq: m1.seq, text: 'uno' });
      const m2 = await w.chat.as(b!).send({ conversationId: g.id, clientId: '2', text: 'two' });
      await w.chat.as(b!).react({ conversationId: g.id, seq: m1.seq, emoji: '👍' });
      await w.chat.as(a!).updateConversation({ conversationId: g.id, title: 'G2' });
      const m3 = await w.chat.as(a!).send({ conversationId: g.id, clientId: '3', text: 'three' });
      expect([m1.seq, m2.seq, m3.seq]).toEqual([2, 4, 7]);
      const events = await allEvents(w.store, g.id);
      expect(seqsOf(events)).toEqual(range(1, 7));
      expect(events.map((e) => e.type)).toEqual(['conversation.created', 'message', 'message.edited', 'message', 'message.reaction', 'conversation.updated', 'message']);
      const conv = (await w.store.getConversation(g.id))!;
      expect(conv).toMatchObject({ lastSeq: 7, messageCount: 3, title: 'G2' });
      expect(conv.lastMessage).toMatchObject({ seq: 7, text: 'three', senderId: a });
    });

    it('seqs are per conversation', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const d1 = await w.chat.as(a!).openDirect({ userId: b! });
      const d2 = await w.chat.as(a!).openDirect({ userId: c! });
      const seqs: number[] = [];
      for (let i = 0; i < 4; i++) {
        seqs.push((await w.chat.as(a!).send({ conversationId: d1.id, clientId: `x${i}`, text: 'x' })).seq);
        seqs.push((await w.chat.as(a!).send({ conversationId: d2.id, clientId: `y${i}`, text: 'y' })).seq);
      }
      expect(seqs).toEqual([2, 2, 3, 3, 4, 4, 5, 5]);
    });

    it('events() honours after, before, minSeq, maxSeq, limit and timelineOnly exactly', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!] });
      for (let i = 0; i < 6; i++) {
        const m = await w.chat.as(i % 2 ? a! : b!).send({ conversationId: g.id, clientId: `c${i}`, text: `t${i}` });
        if (i % 3 === 0) await w.chat.as(a!).react({ conversationId: g.id, seq: m.seq, emoji: '🔥' });
        if (i === 4) await w.chat.as(b!).edit({ conversationId: g.id, seq: m.seq, text: 'edited' });
      }
      const full = await allEvents(w.store, g.id);
      const last = full.length;
      expect(seqsOf(full)).toEqual(range(1, last));
      const bounds = [undefined, 0, 1, 3, 6, last, last + 2];
      let checked = 0;
      for (const timelineOnly of [false, true]) {
        for (const after of bounds) {
          for (const before of bounds) {
            if (after !== undefined && before !== undefined) continue;
            for (const [minSeq, maxSeq] of [[undefined, undefined], [3, undefined], [undefined, 7], [2, 8]] as const) {
              for (const limit of [1, 3, 100]) {
                const want = full.filter(
                  (e) =>
                    (after === undefined || e.seq > after) &&
                    (before === undefined || e.seq < before) &&
                    (minSeq === undefined || e.seq >= minSeq) &&
                    (maxSeq === undefined || e.seq <= maxSeq) &&
                    (!timelineOnly || !isMutation(e)),
                );
                const expected = after !== undefined ? want.slice(0, limit) : want.slice(Math.max(0, want.length - limit));
                const got = await w.store.events({
                  conversationId: g.id,
                  limit,
                  timelineOnly,
                  ...(after !== undefined ? { after } : {}),
                  ...(before !== undefined ? { before } : {}),
                  ...(minSeq !== undefined ? { minSeq } : {}),
                  ...(maxSeq !== undefined ? { maxSeq } : {}),
                });
                expect(seqsOf(got), JSON.stringify({ after, before, minSeq, maxSeq, limit, timelineOnly })).toEqual(seqsOf(expected));
                checked++;
              }
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(300);
      expect(await w.store.events({ conversationId: w.id('missing'), limit: 10, timelineOnly: false })).toEqual([]);
    });

    it('history pages backwards and forwards cover the timeline once, in order', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!] });
      for (let i = 0; i < 11; i++) {
        const m = await w.chat.as(i % 2 ? a! : b!).send({ conversationId: g.id, clientId: `c${i}`, text: `t${i}` });
        if (i % 4 === 0) await w.chat.as(a!).react({ conversationId: g.id, seq: m.seq, emoji: '👍' });
      }
      const timeline = seqsOf(await allEvents(w.store, g.id, true));
      const backwards: number[] = [];
      let before: number | undefined;
      for (let guard = 0; guard < 20; guard++) {
        const page = await w.chat.as(b!).history({ conversationId: g.id, limit: 3, ...(before !== undefined ? { before } : {}) });
        expect(seqsOf(page.events)).toEqual([...seqsOf(page.events)].sort((x, y) => x - y));
        backwards.unshift(...seqsOf(page.events));
        if (!page.hasMore) break;
        before = page.events[0]!.seq;
      }
      expect(backwards).toEqual(timeline);
      const forwards: number[] = [];
      let after = 0;
      for (let guard = 0; guard < 20; guard++) {
        const page = await w.chat.as(b!).history({ conversationId: g.id, limit: 4, after });
        forwards.push(...seqsOf(page.events));
        if (!page.hasMore) break;
        after = page.events[page.events.length - 1]!.seq;
      }
      expect(forwards).toEqual(timeline);
      const all = await w.chat.as(b!).history({ conversationId: g.id, after: 0, limit: 200, all: true });
      expect(seqsOf(all.events)).toEqual(range(1, (await w.store.getConversation(g.id))!.lastSeq));
    });

    it('reads fold edits, reactions, pins and deletes into the message', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!] });
      const m = await w.chat.as(b!).send({ conversationId: g.id, clientId: 'm', text: 'first', metadata: { x: 1 } });
      await w.chat.as(b!).edit({ conversationId: g.id, seq: m.seq, text: 'second' });
      await w.chat.as(a!).react({ conversationId: g.id, seq: m.seq, emoji: '👍' });
      await w.chat.as(b!).react({ conversationId: g.id, seq: m.seq, emoji: '👍' });
      await w.chat.as(a!).react({ conversationId: g.id, seq: m.seq, emoji: '👍', remove: true });
      await w.chat.as(a!).pin({ conversationId: g.id, seq: m.seq, pinned: true });
      let read = (await w.store.getMessage(g.id, m.seq))!;
      expect(read).toMatchObject({ text: 'second', reactions: { '👍': [b] }, pinned: true, deletedAt: null, metadata: { x: 1 } });
      expect(read.editedAt).not.toBeNull();
      const viaEvents = messagesIn(await w.store.events({ conversationId: g.id, after: m.seq - 1, limit: 1, timelineOnly: true }));
      expect(viaEvents[0]).toEqual(read);
      await w.chat.as(b!).delete({ conversationId: g.id, seq: m.seq, scope: 'everyone' });
      read = (await w.store.getMessage(g.id, m.seq))!;
      expect(read).toMatchObject({ text: null, attachments: [], reactions: {}, metadata: {}, seq: m.seq, senderId: b });
      expect(read.deletedAt).not.toBeNull();
      expect((await w.store.getConversation(g.id))!.lastMessage).toMatchObject({ seq: m.seq, deleted: true, text: null });
    });

    it('a rejected append writes nothing', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!] });
      const before = await allEvents(w.store, g.id);
      const base = { conversationId: g.id, actorId: a!, at: 5 };
      const message = {
        conversationId: g.id, id: w.id('m'), senderId: c!, kind: 'text' as const, text: 'x', attachments: [], replyTo: null, mentions: [],
        reactions: {}, clientId: 'k', call: null, metadata: {}, pinned: false, createdAt: 5, editedAt: null, deletedAt: null,
      };
      await expectCode(w.store.append({ draft: { ...base, type: 'message', message }, requireActiveMember: c! }), 'FORBIDDEN');
      await expectCode(w.store.append({ draft: { ...base, type: 'member.left', userId: c!, removed: true } }), 'CONFLICT');
      await expectCode(w.store.append({ draft: { ...base, type: 'member.role', userId: c!, role: 'admin' } }), 'CONFLICT');
      await expectCode(w.store.append({ draft: { ...base, type: 'member.joined', userId: b!, role: 'member' } }), 'CONFLICT');
      await expectCode(w.store.append({ draft: { ...base, type: 'message.edited', target: 99, text: 'y' } }), 'NOT_FOUND');
      expect(await allEvents(w.store, g.id)).toEqual(before);
      expect((await w.store.getConversation(g.id))!.lastSeq).toBe(1);
      expect(await w.store.getMember(g.id, c!)).toBeNull();
    });
  });
}

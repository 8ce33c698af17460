import { describe, expect, it } from 'vitest';
import { createWorld, expectCode, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

async function unreadOf(w: World, userId: string, conversationId: string): Promise<number | undefined> {
  const items = (await w.chat.as(userId).inbox({ limit: 200 })).items;
  return items.find((e) => e.conversation.id === conversationId)?.unread;
}

/** Invariant 5 and the inbox: the unread definition, mute, ordering, pagination, sync. */
export function inboxSuite(o: ResolvedStoreOptions): void {
  describe('inbox-unread', () => {
    const store = useStore(o);

    it('unread counts message events from others after readSeq; edits, reactions and membership events do not count', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const g = await w.chat.as(a!).createGroup({ title: 'U', memberIds: [b!] });
      const m1 = await w.chat.as(a!).send({ conversationId: g.id, clientId: '1', text: 'one' });
      await w.chat.as(a!).send({ conversationId: g.id, clientId: '2', text: 'two' });
      expect(await unreadOf(w, b!, g.id)).toBe(2);
      expect(await unreadOf(w, a!, g.id)).toBe(0);
      await w.chat.as(a!).edit({ conversationId: g.id, seq: m1.seq, text: 'uno' });
      await w.chat.as(a!).react({ conversationId: g.id, seq: m1.seq, emoji: '👍' });
      await w.chat.as(a!).pin({ conversationId: g.id, seq: m1.seq, pinned: true });
      await w.chat.as(a!).addMembers({ conversationId: g.id, userIds: [c!] });
      await w.chat.as(a!).updateConversation({ conversationId: g.id, title: 'U2' });
      expect(await unreadOf(w, b!, g.id)).toBe(2);
      expect(await unreadOf(w, c!, g.id)).toBe(0);
      await w.chat.as(a!).delete({ conversationId: g.id, seq: m1.seq, scope: 'everyone' });
      expect(await unreadOf(w, b!, g.id)).toBe(2);
      expect(await w.chat.as(b!).unreadTotal({})).toEqual({ total: 2, conversations: 1 });
      await w.chat.as(b!).markRead({ conversationId: g.id, seq: m1.seq });
      expect(await unreadOf(w, b!, g.id)).toBe(1);
      await w.chat.as(a!).send({ conversationId: g.id, clientId: '3', text: 'three' });
      expect(await unreadOf(w, b!, g.id)).toBe(2);
      expect(await unreadOf(w, c!, g.id)).toBe(1);
    });

    it('sending advances the sender’s readSeq: earlier messages from others count as read', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      for (let i = 0; i < 3; i++) await w.chat.as(a!).send({ conversationId: d.id, clientId: `a${i}`, text: 'hi' });
      expect(await unreadOf(w, b!, d.id)).toBe(3);
      const reply = await w.chat.as(b!).send({ conversationId: d.id, clientId: 'b', text: 'yo' });
      expect(await unreadOf(w, b!, d.id)).toBe(0);
      expect(await unreadOf(w, a!, d.id)).toBe(1);
      const entry = (await w.chat.as(b!).inbox({})).items[0]!;
      expect(entry.member.readSeq).toBe(reply.seq);
    });

    it('muted conversations are left out of unreadTotal only, until the mute expires', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const d1 = await w.chat.as(b!).openDirect({ userId: a! });
      const d2 = await w.chat.as(c!).openDirect({ userId: a! });
      await w.chat.as(b!).send({ conversationId: d1.id, clientId: '1', text: 'x' });
      await w.chat.as(c!).send({ conversationId: d2.id, clientId: '1', text: 'x' });
      await w.chat.as(c!).send({ conversationId: d2.id, clientId: '2', text: 'y' });
      expect(await w.chat.as(a!).unreadTotal({})).toEqual({ total: 3, conversations: 2 });
      const muted = await w.chat.as(a!).mute({ conversationId: d2.id, until: w.clock.now() + 60_000 });
      expect(muted.mutedUntil).toBe(w.clock.now() + 60_000);
      expect(await w.chat.as(a!).unreadTotal({})).toEqual({ total: 1, conversations: 1 });
      expect(await unreadOf(w, a!, d2.id)).toBe(2);
      w.clock.advance(60_001);
      expect(await w.chat.as(a!).unreadTotal({})).toEqual({ total: 3, conversations: 2 });
      await w.chat.as(a!).mute({ conversationId: d1.id, until: w.clock.now() + 1000 });
      await w.chat.as(a!).mute({ conversationId: d1.id, until: null });
      expect(await w.chat.as(a!).unreadTotal({})).toEqual({ total: 3, conversations: 2 });
    });

    it('the inbox is ordered by last message, newest first; non-message events do not reorder it', async () => {
      const w = createWorld(store());
      const [a, b, c, d] = await w.users('a', 'b', 'c', 'd');
      const ids: string[] = [];
      for (const peer of [b!, c!, d!]) {
        const conv = await w.chat.as(a!).openDirect({ userId: peer });
        w.clock.advance(10);
        const m = await w.chat.as(peer).send({ conversationId: conv.id, clientId: 'm', text: `from ${peer}` });
        expect(m.createdAt).toBe(w.clock.now());
        w.clock.advance(10);
        ids.push(conv.id);
      }
      const order = async () => (await w.chat.as(a!).inbox({})).items.map((e) => e.conversation.id);
      expect(await order()).toEqual([...ids].reverse());
      await w.chat.as(b!).send({ conversationId: ids[0]!, clientId: 'again', text: 'bump' });
      expect(await order()).toEqual([ids[0], ids[2], ids[1]]);
      w.clock.advance(10);
      await w.chat.as(c!).react({ conversationId: ids[1]!, seq: 2, emoji: '👍' });
      await w.chat.as(c!).edit({ conversationId: ids[1]!, seq: 2, text: 'edited' });
      expect(await order()).toEqual([ids[0], ids[2], ids[1]]);
      const entries = (await w.chat.as(a!).inbox({})).items;
      expect(entries[0]).toMatchObject({ peer: { id: b }, unread: 2, conversation: { lastMessage: { text: 'bump', senderId: b } } });
      expect(entries[2]!.conversation.lastMessage?.text).toBe('edited');
    });

    it('inbox ties on lastActivityAt break by conversation id (descending); pages cover every row once', async () => {
      const w = createWorld(store());
      const [a, ...peers] = await w.users('a', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7');
      const ids: string[] = [];
      for (const p of peers) ids.push((await w.chat.as(a!).openDirect({ userId: p })).id);
      const expected = [...ids].sort().reverse();
      expect((await w.chat.as(a!).inbox({})).items.map((e) => e.conversation.id)).toEqual(expected);
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await w.chat.as(a!).inbox({ limit: 3, ...(cursor ? { cursor } : {}) });
        paged.push(...page.items.map((e) => e.conversation.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(paged).toEqual(expected);
      await expectCode(w.chat.as(a!).inbox({ cursor: 'not-a-cursor' }), 'INVALID');
    });

    it('a long message is previewed by its first 140 characters', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const text = 'é'.repeat(100) + 'x'.repeat(100);
      await w.chat.as(a!).send({ conversationId: d.id, clientId: 'long', text });
      expect((await w.chat.as(b!).inbox({})).items[0]!.conversation.lastMessage!.text).toBe(text.slice(0, 140));
    });

    it('a rejoined member counts only what was sent since it rejoined', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const ch = await w.chat.as(a!).createChannel({ title: 'C' });
      await w.chat.as(b!).join({ conversationId: ch.id });
      await w.chat.as(a!).send({ conversationId: ch.id, clientId: '1', text: 'in' });
      await w.chat.as(b!).leave({ conversationId: ch.id });
      expect(await unreadOf(w, b!, ch.id)).toBeUndefined();
      expect((await w.chat.as(b!).unreadTotal({})).total).toBe(0);
      await w.chat.as(a!).send({ conversationId: ch.id, clientId: '2', text: 'away' });
      await w.chat.as(b!).join({ conversationId: ch.id });
      expect(await unreadOf(w, b!, ch.id)).toBe(0);
      await w.chat.as(a!).send({ conversationId: ch.id, clientId: '3', text: 'back' });
      expect(await unreadOf(w, b!, ch.id)).toBe(1);
    });

    it('sync: everything without a cursor, then only what changed, and a reset for a cursor that is too old', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const d1 = await w.chat.as(a!).openDirect({ userId: b! });
      const d2 = await w.chat.as(a!).openDirect({ userId: c! });
      await w.chat.as(a!).setContact({ userId: b!, alias: 'Bee' });
      // move past the skew window the engine re-reads before a cursor
      w.clock.advance(w.chat.limits.syncSkewMs * 2);
      const first = await w.chat.as(a!).sync({});
      expect(first.reset).toBe(true);
      expect(first.entries.map((e) => e.conversation.id).sort()).toEqual([d1.id, d2.id].sort());
      expect(first.contacts.map((x) => x.userId)).toEqual([b]);
      w.clock.advance(10 * 60_000);
      const quiet = await w.chat.as(a!).sync({ since: first.cursor });
      expect(quiet.reset).toBe(false);
      expect(quiet.entries).toEqual([]);
      w.clock.advance(10 * 60_000);
      await w.chat.as(c!).send({ conversationId: d2.id, clientId: 'x', text: 'news' });
      const next = await w.chat.as(a!).sync({ since: quiet.cursor });
      expect(next.reset).toBe(false);
      expect(next.entries.map((e) => e.conversation.id)).toEqual([d2.id]);
      expect(next.entries[0]).toMatchObject({ unread: 1, conversation: { lastSeq: 2 } });
      // reads on another device show up as a changed membership
      w.clock.advance(10 * 60_000);
      await w.chat.as(a!).markRead({ conversationId: d2.id, seq: 2 });
      const read = await w.chat.as(a!).sync({ since: next.cursor });
      expect(read.entries.map((e) => [e.conversation.id, e.member.readSeq, e.unread])).toEqual([[d2.id, 2, 0]]);
      w.clock.advance(w.chat.limits.syncMaxAgeMs + 1);
      expect((await w.chat.as(a!).sync({ since: read.cursor })).reset).toBe(true);
      await expectCode(w.chat.as(a!).sync({ since: '%%%' }), 'INVALID');
    });
  });
}

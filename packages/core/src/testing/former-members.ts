import { describe, expect, it } from 'vitest';
import type { Message } from '@parley/protocol';
import { createWorld, messagesIn, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/**
 * `c` leaves a group after seeing edits, reactions and a pin; afterwards every one of those
 * changes again, the conversation is renamed, re-described and grows, and one message is deleted.
 */
async function leftScenario(w: World) {
  const [a, b, c, d] = await w.users('a', 'b', 'c', 'd');
  const g = await w.chat.as(a!).createGroup({ title: 'Before', memberIds: [b!, c!], metadata: { v: 1 } });
  const say = (who: string, text: string) => w.chat.as(who).send({ conversationId: g.id, clientId: text, text });
  const edited = await say(a!, 'zebra original');
  await w.chat.as(a!).edit({ conversationId: g.id, seq: edited.seq, text: 'zebra seen edit' });
  const reacted = await say(b!, 'zebra reactions');
  await w.chat.as(b!).react({ conversationId: g.id, seq: reacted.seq, emoji: '👍' });
  const plain = await say(a!, 'zebra unedited yak');
  const doomed = await say(a!, 'zebra doomed');
  w.clock.advance(5_000);
  const left = await w.chat.as(c!).leave({ conversationId: g.id });
  const leftSeq = left.leftSeq!;
  w.clock.advance(5_000);
  await w.chat.as(a!).edit({ conversationId: g.id, seq: edited.seq, text: 'zebra later quokka' });
  await w.chat.as(a!).edit({ conversationId: g.id, seq: plain.seq, text: 'zebra changed walrus' });
  await w.chat.as(a!).react({ conversationId: g.id, seq: reacted.seq, emoji: '❤️' });
  await w.chat.as(b!).react({ conversationId: g.id, seq: reacted.seq, emoji: '👍', remove: true });
  await w.chat.as(a!).pin({ conversationId: g.id, seq: reacted.seq, pinned: true });
  await w.chat.as(a!).delete({ conversationId: g.id, seq: doomed.seq, scope: 'everyone' });
  await w.chat.as(a!).updateConversation({ conversationId: g.id, title: 'After', metadata: { v: 2 } });
  await w.chat.as(a!).addMembers({ conversationId: g.id, userIds: [d!] });
  await say(a!, 'zebra after');
  return { a: a!, b: b!, c: c!, id: g.id, leftSeq, edited, reacted, plain, doomed };
}

const bySeq = (messages: Message[], seq: number) => messages.find((m) => m.seq === seq);

/** Item 4 of the hardening issue: a former member sees everything as it was at its leftSeq. */
export function formerMembersSuite(o: ResolvedStoreOptions): void {
  describe('former members see the conversation as of leftSeq', () => {
    const store = useStore(o);

    it('history shows each message as it was at leftSeq; deleted ones stay deleted', async () => {
      const w = createWorld(store());
      const s = await leftScenario(w);
      for (const all of [false, true]) {
        const seen = messagesIn((await w.chat.as(s.c).history({ conversationId: s.id, after: 0, limit: 100, all })).events);
        expect(bySeq(seen, s.edited.seq)?.text, `all=${all}`).toBe('zebra seen edit');
        expect(bySeq(seen, s.edited.seq)?.editedAt).not.toBeNull();
        expect(bySeq(seen, s.plain.seq)).toMatchObject({ text: 'zebra unedited yak', editedAt: null });
        expect(bySeq(seen, s.reacted.seq)).toMatchObject({ reactions: { '👍': [s.b] }, pinned: false });
        expect(bySeq(seen, s.doomed.seq)).toMatchObject({ text: null, reactions: {} });
        expect(bySeq(seen, s.doomed.seq)?.deletedAt).not.toBeNull();
        expect(Math.max(...seen.map((m) => m.seq))).toBeLessThanOrEqual(s.leftSeq);
      }
      // the newest page (no bounds) too
      const newest = messagesIn((await w.chat.as(s.c).history({ conversationId: s.id, limit: 100 })).events);
      expect(bySeq(newest, s.edited.seq)?.text).toBe('zebra seen edit');
      // members who stayed see the current state
      const current = messagesIn((await w.chat.as(s.b).history({ conversationId: s.id, after: 0, limit: 100 })).events);
      expect(bySeq(current, s.edited.seq)?.text).toBe('zebra later quokka');
      expect(bySeq(current, s.plain.seq)?.text).toBe('zebra changed walrus');
      expect(bySeq(current, s.reacted.seq)).toMatchObject({ reactions: { '❤️': [s.a] }, pinned: true });
    });

    it('search never finds text edited in after leftSeq and returns hits as of leftSeq', async () => {
      const w = createWorld(store());
      const s = await leftScenario(w);
      for (const q of ['quokka', 'walrus']) {
        expect((await w.chat.as(s.c).search({ query: q })).items, q).toEqual([]);
        expect((await w.chat.as(s.c).search({ query: q, conversationId: s.id })).items, q).toEqual([]);
      }
      const hits = (await w.chat.as(s.c).search({ query: 'zebra' })).items;
      expect(hits.every((m) => m.seq <= s.leftSeq)).toBe(true);
      expect(hits.find((m) => m.seq === s.doomed.seq)).toBeUndefined();
      for (const m of hits) expect(m.text).not.toMatch(/quokka|walrus/);
      const reacted = hits.find((m) => m.seq === s.reacted.seq);
      if (reacted) expect(reacted).toMatchObject({ reactions: { '👍': [s.b] }, pinned: false });
      // members who stayed find the new text
      expect((await w.chat.as(s.b).search({ query: 'quokka' })).items.map((m) => m.seq)).toEqual([s.edited.seq]);
    });

    it('search finds the text a former member saw, even when it was edited away later', async () => {
      const w = createWorld(store());
      const s = await leftScenario(w);
      const hits = (await w.chat.as(s.c).search({ query: 'yak' })).items;
      expect(hits.map((m) => [m.seq, m.text])).toEqual([[s.plain.seq, 'zebra unedited yak']]);
    });

    it('getConversation and sync show title, metadata, memberCount and last message as of leftSeq', async () => {
      const w = createWorld(store());
      const s = await leftScenario(w);
      const { conversation } = await w.chat.as(s.c).getConversation({ conversationId: s.id });
      const expected = { title: 'Before', metadata: { v: 1 }, memberCount: 2, lastSeq: s.leftSeq };
      expect(conversation).toMatchObject(expected);
      expect(conversation.lastMessage).toMatchObject({ seq: s.doomed.seq, deleted: true, text: null });
      const synced = await w.chat.as(s.c).sync({});
      const entry = synced.entries.find((e) => e.conversation.id === s.id);
      expect(entry?.conversation).toMatchObject(expected);
      expect(entry?.conversation.lastMessage).toMatchObject({ seq: s.doomed.seq, deleted: true, text: null });
      // the members who stayed see the current state
      const now = (await w.chat.as(s.b).getConversation({ conversationId: s.id })).conversation;
      expect(now).toMatchObject({ title: 'After', metadata: { v: 2 }, memberCount: 3 });
    });

    it('a member who rejoins sees the current state again', async () => {
      const w = createWorld(store());
      const s = await leftScenario(w);
      await w.chat.as(s.a).addMembers({ conversationId: s.id, userIds: [s.c] });
      const { conversation } = await w.chat.as(s.c).getConversation({ conversationId: s.id });
      expect(conversation).toMatchObject({ title: 'After', metadata: { v: 2 }, memberCount: 4 });
      const seen = messagesIn((await w.chat.as(s.c).history({ conversationId: s.id, after: 0, limit: 100 })).events);
      expect(bySeq(seen, s.edited.seq)?.text).toBe('zebra later quokka');
    });
  });
}

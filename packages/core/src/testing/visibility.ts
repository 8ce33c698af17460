import { describe, expect, it } from 'vitest';
import { allEvents, createWorld, failure, messagesIn, seqsOf, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** A group where `c` was removed, re-added, and left again; messages in every phase. */
async function windowsScenario(w: World) {
  const [a, b, c] = await w.users('a', 'b', 'c');
  const g = await w.chat.as(a!).createGroup({ title: 'W', memberIds: [b!, c!] });
  const say = (who: string, text: string) => w.chat.as(who).send({ conversationId: g.id, clientId: text, text });
  const m1 = await say(a!, 'alpha one');
  await w.chat.as(a!).removeMember({ conversationId: g.id, userId: c! });
  const gap1 = await say(b!, 'alpha secret');
  await w.chat.as(a!).addMembers({ conversationId: g.id, userIds: [c!] });
  const m2 = await say(a!, 'alpha two');
  await w.chat.as(b!).edit({ conversationId: g.id, seq: gap1.seq, text: 'alpha secret edited' });
  await w.chat.as(a!).react({ conversationId: g.id, seq: m1.seq, emoji: '👍' });
  await w.chat.as(c!).leave({ conversationId: g.id });
  const gap2 = await say(b!, 'alpha after');
  const member = (await w.store.getMember(g.id, c!))!;
  const windows = [...member.pastWindows, { joinSeq: member.joinSeq, leftSeq: member.leftSeq }];
  return { a: a!, b: b!, c: c!, id: g.id, m1, m2, gap1, gap2, windows };
}

/** Invariant 4: non-members read nothing; former members nothing after leftSeq; rejoiners exactly their windows. */
export function visibilitySuite(o: ResolvedStoreOptions): void {
  describe('visibility', () => {
    const store = useStore(o);

    it('a member who left and rejoined reads exactly the events inside its windows', async () => {
      const w = createWorld(store());
      const s = await windowsScenario(w);
      expect(s.windows).toHaveLength(2);
      expect(s.windows.every((x) => x.leftSeq !== null)).toBe(true);
      const inWindow = (seq: number) => s.windows.some((x) => seq >= x.joinSeq && seq <= x.leftSeq!);
      for (const all of [false, true]) {
        const full = await allEvents(w.store, s.id, !all);
        const expected = full.filter((e) => inWindow(e.seq) && (!('target' in e) || inWindow(e.target)));
        const got = await w.chat.as(s.c).history({ conversationId: s.id, after: 0, limit: 200, all });
        expect(seqsOf(got.events), `all=${all}`).toEqual(seqsOf(expected));
        const newest = await w.chat.as(s.c).history({ conversationId: s.id, limit: 200, all });
        expect(seqsOf(newest.events)).toEqual(seqsOf(expected));
      }
      const texts = messagesIn((await w.chat.as(s.c).history({ conversationId: s.id, after: 0, limit: 200 })).events).map((m) => m.text);
      expect(texts).toEqual(['alpha one', 'alpha two']);
      // a small page size walks across the windows too
      const paged: number[] = [];
      let before: number | undefined;
      for (let guard = 0; guard < 30; guard++) {
        const page = await w.chat.as(s.c).history({ conversationId: s.id, limit: 1, ...(before ? { before } : {}) });
        paged.unshift(...seqsOf(page.events));
        if (!page.hasMore) break;
        before = page.events[0]!.seq;
      }
      expect(paged).toEqual(seqsOf((await allEvents(w.store, s.id, true)).filter((e) => inWindow(e.seq))));
    });

    it('search only finds messages inside the windows', async () => {
      const w = createWorld(store());
      const s = await windowsScenario(w);
      const hits = await w.chat.as(s.c).search({ query: 'alpha' });
      expect(hits.items.map((m) => m.seq).sort((x, y) => x - y)).toEqual([s.m1.seq, s.m2.seq]);
      const scoped = await w.chat.as(s.c).search({ query: 'alpha', conversationId: s.id });
      expect(scoped.items.map((m) => m.seq).sort((x, y) => x - y)).toEqual([s.m1.seq, s.m2.seq]);
      const member = await w.chat.as(s.b).search({ query: 'alpha' });
      expect(member.items).toHaveLength(4);
    });

    it('a former member sees the conversation as it was when it left', async () => {
      const w = createWorld(store());
      const s = await windowsScenario(w);
      const leftSeq = s.windows[1]!.leftSeq!;
      const { conversation, member } = await w.chat.as(s.c).getConversation({ conversationId: s.id });
      expect(conversation.lastSeq).toBe(leftSeq);
      expect(conversation.lastMessage?.seq ?? 0).toBeLessThanOrEqual(leftSeq);
      expect(member?.leftSeq).toBe(leftSeq);
      expect((await w.chat.as(s.c).history({ conversationId: s.id, after: leftSeq, limit: 50, all: true })).events).toEqual([]);
      expect((await w.chat.as(s.c).inbox({})).items.map((e) => e.conversation.id)).not.toContain(s.id);
      const synced = await w.chat.as(s.c).sync({});
      const entry = synced.entries.find((e) => e.conversation.id === s.id);
      expect(entry?.conversation.lastSeq).toBe(leftSeq);
      expect(entry?.member.leftSeq).toBe(leftSeq);
      expect(JSON.stringify(entry)).not.toContain('alpha after');
      expect((await failure(w.chat.as(s.c).listMembers({ conversationId: s.id }))).code).toBe('FORBIDDEN');
      expect((await failure(w.chat.as(s.c).receipts({ conversationId: s.id }))).code).toBe('FORBIDDEN');
    });

    it('non-members read nothing, with the same error as for a missing conversation', async () => {
      const w = createWorld(store());
      const s = await windowsScenario(w);
      const [out] = await w.users('outsider');
      const reads = [
        (id: string) => w.chat.as(out!).history({ conversationId: id }),
        (id: string) => w.chat.as(out!).getConversation({ conversationId: id }),
        (id: string) => w.chat.as(out!).listMembers({ conversationId: id }),
        (id: string) => w.chat.as(out!).receipts({ conversationId: id }),
        (id: string) => w.chat.as(out!).search({ query: 'alpha', conversationId: id }),
        (id: string) => w.chat.as(out!).hidden({ conversationId: id }),
        (id: string) => w.chat.as(out!).markRead({ conversationId: id, seq: 1 }),
      ];
      for (const read of reads) {
        const real = await failure(read(s.id));
        const missing = await failure(read(w.id('nope')));
        expect(real.code).toBe('FORBIDDEN');
        expect(real).toEqual(missing);
      }
      expect((await w.chat.as(out!).search({ query: 'alpha' })).items).toEqual([]);
      expect((await w.chat.as(out!).inbox({})).items).toEqual([]);
      expect((await w.chat.as(out!).sync({})).entries).toEqual([]);
    });

    it('channel members see events from their join on', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const ch = await w.chat.as(a!).createChannel({ title: 'news' });
      await w.chat.as(a!).send({ conversationId: ch.id, clientId: '1', text: 'before join' });
      const joined = await w.chat.as(b!).join({ conversationId: ch.id });
      const after = await w.chat.as(a!).send({ conversationId: ch.id, clientId: '2', text: 'after join' });
      const h = await w.chat.as(b!).history({ conversationId: ch.id });
      expect(seqsOf(h.events)).toEqual([joined.joinSeq, after.seq]);
      expect((await w.chat.as(b!).search({ query: 'join' })).items.map((m) => m.text)).toEqual(['after join']);
    });

    it('delete for me hides a message from that user only; delete for everyone leaves a tombstone for all', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const m1 = await w.chat.as(a!).send({ conversationId: d.id, clientId: '1', text: 'keep me' });
      const m2 = await w.chat.as(a!).send({ conversationId: d.id, clientId: '2', text: 'gone for all' });
      await w.chat.as(b!).delete({ conversationId: d.id, seq: m1.seq, scope: 'me' });
      await w.chat.as(a!).delete({ conversationId: d.id, seq: m2.seq, scope: 'everyone' });
      const forB = messagesIn((await w.chat.as(b!).history({ conversationId: d.id })).events);
      const forA = messagesIn((await w.chat.as(a!).history({ conversationId: d.id })).events);
      expect(forB.map((m) => m.seq)).toEqual([m2.seq]);
      expect(forA.map((m) => m.seq)).toEqual([m1.seq, m2.seq]);
      for (const m of [...forA, ...forB].filter((x) => x.seq === m2.seq)) {
        expect(m).toMatchObject({ text: null, attachments: [], reactions: {} });
        expect(m.deletedAt).not.toBeNull();
      }
      expect(await w.chat.as(b!).hidden({ conversationId: d.id })).toEqual([m1.seq]);
      expect(await w.chat.as(a!).hidden({ conversationId: d.id })).toEqual([]);
      expect((await w.chat.as(b!).search({ query: 'keep' })).items).toEqual([]);
      expect((await w.chat.as(a!).search({ query: 'keep' })).items.map((m) => m.seq)).toEqual([m1.seq]);
      expect((await w.chat.as(a!).search({ query: 'gone' })).items).toEqual([]);
    });
  });
}

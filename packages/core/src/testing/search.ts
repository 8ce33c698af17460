import type { Message } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createWorld, expectCode, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** Search: matching, visibility filters, order and pagination; the match rule follows `fullTextSearch`. */
export function searchSuite(o: ResolvedStoreOptions): void {
  describe('search', () => {
    const store = useStore(o);

    it('finds current text case-insensitively, newest first; not deleted, not hidden, not others’ conversations', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const other = await w.chat.as(b!).openDirect({ userId: c! });
      const say = async (who: string, conv: string, text: string) => {
        w.clock.advance(5);
        return w.chat.as(who).send({ conversationId: conv, clientId: text, text });
      };
      const m1 = await say(a!, d.id, 'Meeting at noon');
      const m2 = await say(b!, d.id, 'which meeting room');
      const m3 = await say(a!, d.id, 'the MEETING moved');
      const m4 = await say(b!, d.id, 'nothing here');
      const m5 = await say(b!, d.id, 'meeting notes deleted');
      await say(b!, other.id, 'secret meeting with c');
      await w.chat.as(b!).delete({ conversationId: d.id, seq: m5.seq, scope: 'everyone' });
      await w.chat.as(b!).edit({ conversationId: d.id, seq: m4.seq, text: 'meeting cancelled' });
      const hits = await w.chat.as(a!).search({ query: 'meeting' });
      expect(hits.items.map((m) => m.seq)).toEqual([m4.seq, m3.seq, m2.seq, m1.seq]);
      expect(hits.items[0]!.text).toBe('meeting cancelled');
      await w.chat.as(a!).delete({ conversationId: d.id, seq: m2.seq, scope: 'me' });
      expect((await w.chat.as(a!).search({ query: 'MEETING' })).items.map((m) => m.seq)).toEqual([m4.seq, m3.seq, m1.seq]);
      expect((await w.chat.as(b!).search({ query: 'meeting', conversationId: d.id })).items.map((m) => m.seq)).toEqual([m4.seq, m3.seq, m2.seq, m1.seq]);
      expect((await w.chat.as(b!).search({ query: 'meeting' })).items).toHaveLength(5);
      expect((await w.chat.as(a!).search({ query: 'zebra' })).items).toEqual([]);
    });

    it(o.caps.fullTextSearch ? 'matches words with stemming (fullTextSearch=true)' : 'matches substrings (fullTextSearch=false)', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const m = await w.chat.as(a!).send({ conversationId: d.id, clientId: '1', text: 'The engineers were running tests' });
      await w.chat.as(a!).send({ conversationId: d.id, clientId: '2', text: 'unrelated words' });
      const seqs = async (query: string) => (await w.chat.as(b!).search({ query })).items.map((x) => x.seq);
      if (o.caps.fullTextSearch) {
        expect(await seqs('run')).toEqual([m.seq]);
        expect(await seqs('engineer')).toEqual([m.seq]);
      } else {
        expect(await seqs('ngineers were r')).toEqual([m.seq]);
        expect(await seqs('TESTS')).toEqual([m.seq]);
      }
      expect(await seqs('absent')).toEqual([]);
    });

    it('pages through hits with a cursor: every hit once, in order', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const g = await w.chat.as(a!).createGroup({ title: 'S', memberIds: [b!, c!] });
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const sent: Message[] = [];
      for (let i = 0; i < 9; i++) {
        if (i % 3 === 0) w.clock.advance(1); // some hits share a createdAt: the order falls back to conversation and seq
        sent.push(await w.chat.as(i % 2 ? a! : b!).send({ conversationId: i % 4 ? g.id : d.id, clientId: `k${i}`, text: `keyword number ${i}` }));
      }
      const cmp = (x: Message, y: Message) =>
        y.createdAt - x.createdAt || (x.conversationId < y.conversationId ? 1 : x.conversationId > y.conversationId ? -1 : 0) || y.seq - x.seq;
      const expected = [...sent].sort(cmp).map((m) => `${m.conversationId}/${m.seq}`);
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await w.chat.as(b!).search({ query: 'keyword', limit: 4, ...(cursor ? { cursor } : {}) });
        paged.push(...page.items.map((m) => `${m.conversationId}/${m.seq}`));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(paged).toEqual(expected);
      await expectCode(w.chat.as(b!).search({ query: 'keyword', cursor: 'bad' }), 'INVALID');
    });
  });
}

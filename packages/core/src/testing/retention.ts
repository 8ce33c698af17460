import { describe, expect, it } from 'vitest';
import { allEvents, createWorld, messagesIn, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const DAY = 24 * 3600 * 1000;

/** Retention: purge of deleted content, per-conversation message TTL. */
export function retentionSuite(o: ResolvedStoreOptions): void {
  describe('retention', () => {
    const store = useStore(o);

    it('runRetention erases content of messages deleted more than purgeDeletedAfterDays ago, once', async () => {
      const w = createWorld(store(), { limits: { purgeDeletedAfterDays: 2 } });
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const old = await w.chat.as(a!).send({ conversationId: d.id, clientId: '1', text: 'old secret' });
      await w.chat.as(a!).edit({ conversationId: d.id, seq: old.seq, text: 'old secret v2' });
      const recent = await w.chat.as(a!).send({ conversationId: d.id, clientId: '2', text: 'recent secret' });
      await w.chat.as(a!).edit({ conversationId: d.id, seq: recent.seq, text: 'recent secret v2' });
      const kept = await w.chat.as(a!).send({ conversationId: d.id, clientId: '3', text: 'kept' });
      await w.chat.as(a!).delete({ conversationId: d.id, seq: old.seq, scope: 'everyone' });
      w.clock.advance(DAY + 1);
      await w.chat.as(a!).delete({ conversationId: d.id, seq: recent.seq, scope: 'everyone' });
      w.clock.advance(DAY);
      expect(await w.chat.runRetention()).toEqual({ purged: 1, expired: 0 });
      expect(await w.chat.runRetention()).toEqual({ purged: 0, expired: 0 });
      const log = JSON.stringify(await allEvents(w.store, d.id));
      expect(log).not.toContain('old secret');
      // the delete itself erased the text its edit events carried; retention erases the stored message later
      expect(log).not.toContain('recent secret v2');
      w.clock.advance(DAY + 10);
      expect(await w.chat.runRetention()).toEqual({ purged: 1, expired: 0 });
      const after = await allEvents(w.store, d.id);
      expect(JSON.stringify(after)).not.toContain('secret');
      expect(messagesIn(after).map((m) => [m.seq, m.text])).toEqual([
        [old.seq, null],
        [recent.seq, null],
        [kept.seq, 'kept'],
      ]);
      if (o.snapshot) expect(JSON.stringify(await o.snapshot(w.store))).not.toContain('secret');
      expect((await w.chat.as(b!).unreadTotal({})).total).toBe(3);
    });

    it('a conversation message TTL expires old messages (deleted, content gone) and keeps newer ones', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const other = await w.chat.as(b!).openDirect({ userId: (await w.users('c'))[0]! });
      const g = await w.chat.as(a!).createGroup({ title: 'ttl' });
      expect((await w.chat.as(a!).updateConversation({ conversationId: g.id, messageTtlSeconds: 60 })).messageTtlSeconds).toBe(60);
      await w.chat.as(a!).send({ conversationId: g.id, clientId: 'g1', text: 'vanishing' });
      w.clock.advance(30_000);
      await w.chat.as(a!).send({ conversationId: g.id, clientId: 'g2', text: 'staying' });
      await w.chat.as(a!).send({ conversationId: d.id, clientId: 'd1', text: 'no ttl here' });
      await w.chat.as(b!).send({ conversationId: other.id, clientId: 'o1', text: 'no ttl either' });
      w.clock.advance(30_001);
      expect(await w.chat.runRetention()).toEqual({ purged: 0, expired: 1 });
      const messages = messagesIn(await allEvents(w.store, g.id));
      expect(messages.map((m) => m.text)).toEqual([null, 'staying']);
      expect(messages[0]!.deletedAt).toBe(w.clock.now());
      expect(JSON.stringify(await allEvents(w.store, g.id))).not.toContain('vanishing');
      expect(messagesIn(await allEvents(w.store, d.id)).map((m) => m.text)).toEqual(['no ttl here']);
      w.clock.advance(30_000);
      expect(await w.chat.runRetention()).toEqual({ purged: 0, expired: 1 });
      expect((await w.store.getConversation(g.id))!.lastMessage).toMatchObject({ deleted: true, text: null });
      expect(await w.chat.runRetention()).toEqual({ purged: 0, expired: 0 });
    });
    it('purgeDeleted scoped to a conversation and seqs erases only those; a former member\'s preview of them goes too', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const g = await w.chat.as(a!).createGroup({ title: 'scoped', memberIds: [b!, c!] });
      const one = await w.chat.as(a!).send({ conversationId: g.id, clientId: '1', text: 'first walrus' });
      const two = await w.chat.as(a!).send({ conversationId: g.id, clientId: '2', text: 'second walrus' });
      await w.chat.as(c!).leave({ conversationId: g.id }); // c's snapshot holds 'second walrus' as the last message
      for (const m of [one, two]) await w.chat.as(a!).delete({ conversationId: g.id, seq: m.seq, scope: 'everyone' });
      expect(await w.store.purgeDeleted({ deletedBefore: Number.MAX_SAFE_INTEGER, conversationId: g.id, seqs: [two.seq] })).toBe(1);
      if (o.snapshot) {
        const raw = JSON.stringify(await o.snapshot(w.store));
        expect(raw).not.toContain('second walrus');
        expect(raw).toContain('first walrus'); // not purged yet: retention's to erase, later
      }
      expect(await w.store.purgeDeleted({ deletedBefore: Number.MAX_SAFE_INTEGER, conversationId: g.id, seqs: [two.seq] })).toBe(0);
      expect((await w.chat.as(c!).inbox({})).items).toEqual([]);
      expect(JSON.stringify(await w.chat.as(c!).getConversation({ conversationId: g.id }))).not.toContain('walrus');
    });
  });
}

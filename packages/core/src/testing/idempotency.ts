import type { ConversationEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { allEvents, createWorld, gatedSuite, messagesIn, range, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** Invariant 2: (conversation, sender, clientId) is unique; one direct conversation per pair. */
export function idempotencySuite(o: ResolvedStoreOptions): void {
  describe('idempotency', () => {
    const store = useStore(o);

    it('a retried send returns the original message and writes nothing', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const first = await w.chat.as(a!).send({ conversationId: d.id, clientId: 'same', text: 'hello' });
      await w.chat.as(b!).send({ conversationId: d.id, clientId: 'other', text: 'reply' });
      const before = await allEvents(w.store, d.id);
      const retry = await w.chat.as(a!).send({ conversationId: d.id, clientId: 'same', text: 'hello (changed on retry)' });
      expect(retry).toEqual(first);
      expect(await allEvents(w.store, d.id)).toEqual(before);
      expect((await w.store.getConversation(d.id))!).toMatchObject({ lastSeq: 3, messageCount: 2 });
    });

    it('the clientId key includes the sender and the conversation', async () => {
      const w = createWorld(store());
      const [a, b, c] = await w.users('a', 'b', 'c');
      const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!, c!] });
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const sent = [
        await w.chat.as(a!).send({ conversationId: g.id, clientId: 'k', text: 'a in g' }),
        await w.chat.as(b!).send({ conversationId: g.id, clientId: 'k', text: 'b in g' }),
        await w.chat.as(a!).send({ conversationId: d.id, clientId: 'k', text: 'a in d' }),
      ];
      expect(new Set(sent.map((m) => m.id)).size).toBe(3);
      expect(sent.map((m) => m.text)).toEqual(['a in g', 'b in g', 'a in d']);
      expect((await w.store.getConversation(g.id))!.messageCount).toBe(2);
    });

    it('store.append reports a duplicate and returns the stored message', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const draft = (id: string, text: string) => ({
        type: 'message' as const,
        conversationId: d.id,
        actorId: a!,
        at: 10,
        message: {
          conversationId: d.id, id, senderId: a!, kind: 'text' as const, text, attachments: [], replyTo: null, mentions: [],
          reactions: {}, clientId: 'dup', call: null, metadata: {}, pinned: false, createdAt: 10, editedAt: null, deletedAt: null,
        },
      });
      const one = await w.store.append({ draft: draft(w.id('m1'), 'first') });
      const two = await w.store.append({ draft: draft(w.id('m2'), 'second') });
      expect(one.duplicate).toBe(false);
      expect(two.duplicate).toBe(true);
      expect(two.event).toEqual(one.event);
      expect((two.event as Extract<ConversationEvent, { type: 'message' }>).message).toMatchObject({ id: w.id('m1'), text: 'first', seq: 2 });
      expect(two.conversation.lastSeq).toBe(2);
    });

    it('the engine announces a duplicate once', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const seen: number[] = [];
      w.chat.on('event', (e) => seen.push(e.seq));
      await w.chat.as(a!).send({ conversationId: d.id, clientId: 'x', text: 'x' });
      await w.chat.as(a!).send({ conversationId: d.id, clientId: 'x', text: 'x' });
      expect(seen).toEqual([2]);
    });

    it('openDirect from either side returns the same conversation', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const one = await w.chat.as(a!).openDirect({ userId: b! });
      const two = await w.chat.as(b!).openDirect({ userId: a! });
      expect(two.id).toBe(one.id);
      expect(one.directPair).toEqual([a, b].sort());
      expect((await w.store.findDirect([a!, b!].sort() as [string, string]))!.id).toBe(one.id);
    });

    gatedSuite(o, 'idempotency under concurrency', { uniqueConstraints: true }, () => {
      it('the same send retried 10 times concurrently creates one message', async () => {
        const w = createWorld(store());
        const [a, b] = await w.users('a', 'b');
        const g = await w.chat.as(a!).createGroup({ title: 'G', memberIds: [b!] });
        const noise = range(0, 9).map((i) => w.chat.as(b!).send({ conversationId: g.id, clientId: `n${i}`, text: 'noise' }));
        const retries = range(0, 9).map(() => w.chat.as(a!).send({ conversationId: g.id, clientId: 'once', text: 'only once' }));
        const [results] = await Promise.all([Promise.all(retries), Promise.all(noise)]);
        expect(new Set(results.map((m) => m.id)).size).toBe(1);
        expect(new Set(results.map((m) => m.seq)).size).toBe(1);
        const messages = messagesIn(await allEvents(w.store, g.id));
        expect(messages.filter((m) => m.clientId === 'once')).toHaveLength(1);
        expect((await w.store.getConversation(g.id))!).toMatchObject({ messageCount: 11, lastSeq: 12 });
      });

      it('10 concurrent openDirect calls from both sides create one conversation', async () => {
        const w = createWorld(store());
        const [a, b] = await w.users('a', 'b');
        const seen: string[] = [];
        w.chat.on('event', (e) => seen.push(e.type));
        const results = await Promise.all(range(0, 9).map((i) => w.chat.as(i % 2 ? a! : b!).openDirect({ userId: i % 2 ? b! : a! })));
        expect(new Set(results.map((c) => c.id)).size).toBe(1);
        expect(seen.filter((t) => t === 'conversation.created')).toHaveLength(1);
      });

      it('concurrent createConversation for one pair: exactly one created', async () => {
        const w = createWorld(store());
        const [a, b] = await w.users('a', 'b');
        const pair = [a!, b!].sort();
        const results = await Promise.all(
          range(0, 9).map((i) =>
            w.store.createConversation({
              id: w.id(`d${i}`), kind: 'direct', title: null, avatarUrl: null, createdBy: a!, metadata: {}, directPair: pair,
              members: pair.map((userId) => ({ userId, role: 'member' as const })), now: 1,
            }),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.conversation.id)).size).toBe(1);
        const survivor = results[0]!.conversation.id;
        for (let i = 0; i < 10; i++) {
          if (w.id(`d${i}`) !== survivor) expect(await w.store.getConversation(w.id(`d${i}`))).toBeNull();
        }
      });
    });
  });
}

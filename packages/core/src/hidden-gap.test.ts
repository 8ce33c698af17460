import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { createMemoryStore } from './memory-store.js';

// docs/protocol.md "Hidden messages": what a client must expect after delete-for-me
describe('a message hidden for me', () => {
  it('leaves a permanent gap in my history, and counts as unread until my readSeq passes it', async () => {
    const chat = createChat({ store: createMemoryStore() });
    for (const id of ['ana', 'ben']) await chat.upsertUser({ id, displayName: id });
    const dm = await chat.as('ana').openDirect({ userId: 'ben' });
    const m1 = await chat.as('ben').send({ conversationId: dm.id, clientId: '1', text: 'one' });
    const m2 = await chat.as('ben').send({ conversationId: dm.id, clientId: '2', text: 'two' });
    await chat.as('ben').edit({ conversationId: dm.id, seq: m1.seq, text: 'one!' });
    await chat.as('ana').delete({ conversationId: dm.id, seq: m1.seq, scope: 'me' });

    const all = await chat.as('ana').history({ conversationId: dm.id, after: 0, all: true });
    const seqs = all.events.map((e) => e.seq);
    expect(seqs).toEqual([1, m2.seq]); // m1 and the edit of m1 (seq 4) are gone for good
    expect(all.hasMore).toBe(false);
    const { conversation: conv } = await chat.as('ana').getConversation({ conversationId: dm.id });
    expect(conv.lastSeq).toBe(4); // higher than any seq history returns: the gap is never filled
    expect((await chat.as('ana').history({ conversationId: dm.id, after: 1, all: true })).events.map((e) => e.seq)).toEqual([m2.seq]);

    // hiding does not mark read: both messages of ben still count
    const [entry] = (await chat.as('ana').inbox()).items;
    expect(entry?.unread).toBe(2);
    await chat.as('ana').markRead({ conversationId: dm.id, seq: conv.lastSeq });
    expect((await chat.as('ana').inbox()).items[0]?.unread).toBe(0);
    // ben still sees it
    expect((await chat.as('ben').history({ conversationId: dm.id })).events.map((e) => e.seq)).toEqual([1, m1.seq, m2.seq]);
    await chat.close();
  });
});

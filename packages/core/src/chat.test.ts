import { describe, expect, it } from 'vitest';
import { createChat, createMemoryStore, isChatError } from './index.js';

async function setup() {
  const chat = createChat({ store: createMemoryStore() });
  for (const id of ['ana', 'ben', 'cy']) await chat.upsertUser({ id, displayName: id.toUpperCase() });
  return chat;
}

describe('engine smoke', () => {
  it('direct conversation: open is idempotent, send, unread, read', async () => {
    const chat = await setup();
    const dm = await chat.as('ana').openDirect({ userId: 'ben' });
    const again = await chat.as('ben').openDirect({ userId: 'ana' });
    expect(again.id).toBe(dm.id);
    const m1 = await chat.as('ana').send({ conversationId: dm.id, clientId: 'c1', text: 'hello' });
    const dup = await chat.as('ana').send({ conversationId: dm.id, clientId: 'c1', text: 'hello' });
    expect(dup.seq).toBe(m1.seq);
    expect(m1.seq).toBe(2);
    expect((await chat.as('ben').unreadTotal()).total).toBe(1);
    expect((await chat.as('ana').unreadTotal()).total).toBe(0);
    await chat.as('ben').markRead({ conversationId: dm.id, seq: m1.seq });
    expect((await chat.as('ben').unreadTotal()).total).toBe(0);
    const inbox = await chat.as('ben').inbox({});
    expect(inbox.items[0]?.conversation.lastMessage?.text).toBe('hello');
    expect(inbox.items[0]?.peer?.id).toBe('ana');
  });

  it('outsiders get the same error for a real and a missing conversation', async () => {
    const chat = await setup();
    const dm = await chat.as('ana').openDirect({ userId: 'ben' });
    const errors = [];
    for (const id of [dm.id, 'missing']) {
      try {
        await chat.as('cy').history({ conversationId: id });
      } catch (e) {
        errors.push(isChatError(e) ? `${e.code}:${e.message}` : 'other');
      }
    }
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(errors[1]);
    expect(errors[0]).toMatch(/^FORBIDDEN/);
  });

  it('groups: leave and rejoin windows', async () => {
    const chat = await setup();
    const g = await chat.as('ana').createGroup({ title: 'G', memberIds: ['ben', 'cy'] });
    await chat.as('ana').send({ conversationId: g.id, clientId: 'a', text: 'one' });
    await chat.as('ana').removeMember({ conversationId: g.id, userId: 'cy' });
    await chat.as('ana').send({ conversationId: g.id, clientId: 'b', text: 'secret' });
    await chat.as('ana').addMembers({ conversationId: g.id, userIds: ['cy'] });
    await chat.as('ana').send({ conversationId: g.id, clientId: 'c', text: 'three' });
    const h = await chat.as('cy').history({ conversationId: g.id });
    const texts = h.events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
    expect(texts).toEqual(['one', 'three']);
    const found = await chat.as('cy').search({ query: 'secret' });
    expect(found.items).toHaveLength(0);
  });
});

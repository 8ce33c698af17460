import { SYSTEM_ACTOR } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createChat, createMemoryStore, type BlocklistOptions } from './index.js';

async function setup(blocklist: BlocklistOptions) {
  const chat = createChat({ store: createMemoryStore(), blocklist });
  for (const id of ['own', 'mem']) await chat.upsertUser({ id, displayName: id });
  const c = await chat.as('own').createChannel({ title: 'c', metadata: { banned: ['durian'] } });
  await chat.as('mem').join({ conversationId: c.id });
  return { chat, c };
}

describe('blocklist', () => {
  it('block refuses a message or an edit and stores nothing; words match whole words, case-insensitively', async () => {
    const { chat, c } = await setup({ entries: [{ match: 'crypto scam', action: 'block' }, { match: /\bbit\.ly\//i, action: 'block' }] });
    const lastSeq = (await chat.store.getConversation(c.id))!.lastSeq;
    for (const text of ['a CRYPTO   scam!', 'see bit.ly/x']) {
      await expect(chat.as('mem').send({ conversationId: c.id, clientId: text, text })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'message blocked by the blocklist' });
    }
    expect((await chat.store.getConversation(c.id))!.lastSeq).toBe(lastSeq);
    const ok = await chat.as('mem').send({ conversationId: c.id, clientId: 'ok', text: 'cryptoscams are words too' });
    await expect(chat.as('mem').edit({ conversationId: c.id, seq: ok.seq, text: 'crypto scam' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await chat.store.getMessage(c.id, ok.seq))!.text).toBe('cryptoscams are words too');
  });

  it('flag stores the message and files it in the queue as reported by the system; per-conversation entries come from the host', async () => {
    const { chat, c } = await setup({
      entries: [{ match: 'darn', action: 'flag' }],
      forConversation: (conversation) => ((conversation.metadata.banned as string[] | undefined) ?? []).map((match) => ({ match, action: 'block' as const })),
    });
    const m = await chat.as('mem').send({ conversationId: c.id, clientId: 'f', text: 'darn it' });
    await chat.as('mem').send({ conversationId: c.id, clientId: 'f', text: 'darn it' }); // a resend files nothing new
    const queue = await chat.as('own').listReports({ conversationId: c.id });
    expect(queue.items.map((r) => [r.reporterId, r.targetUserId, r.seq, r.reason])).toEqual([[SYSTEM_ACTOR, 'mem', m.seq, 'blocklist: darn']]);
    await expect(chat.as('mem').send({ conversationId: c.id, clientId: 'd', text: 'I love Durian' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('bad entries are INVALID at createChat; strangers learn nothing from a per-conversation list', async () => {
    expect(() => createChat({ store: createMemoryStore(), blocklist: { entries: [{ match: ' ', action: 'block' }] } })).toThrow(expect.objectContaining({ code: 'INVALID' }));
    const { chat, c } = await setup({ forConversation: () => [{ match: 'x', action: 'block' }] });
    await chat.upsertUser({ id: 'out', displayName: 'out' });
    const real = await chat.as('out').send({ conversationId: c.id, clientId: 'x', text: 'x' }).catch((e: unknown) => e);
    const none = await chat.as('out').send({ conversationId: 'nowhere', clientId: 'x', text: 'x' }).catch((e: unknown) => e);
    expect(real).toMatchObject({ code: 'FORBIDDEN', message: (none as Error).message });
  });
});

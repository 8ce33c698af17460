import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { isChatError } from './errors.js';
import { createFeed } from './feed.js';
import { createMemoryStore } from './memory-store.js';
import type { ChatStore } from './store.js';

async function setup() {
  const chat = createChat({ store: createMemoryStore() });
  await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
  await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
  const g = await chat.as('ana').createGroup({ title: 'g', memberIds: ['ben'] });
  return { chat, id: g.id };
}

describe('createFeed', () => {
  it('a consumer stuck in its handler never slows sends: they complete, the lag grows and is reported', async () => {
    const { chat, id } = await setup();
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const feed = createFeed({ chat, name: 'slow', lease: false, handle: () => stuck });
    feed.start();
    const started = Date.now();
    for (let i = 0; i < 300; i++) await chat.as('ana').send({ conversationId: id, clientId: `m${i}`, text: 'x' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await feed.lag()).events).toBe(301);
    release();
    await feed.stop();
    await feed.runOnce();
    expect((await feed.lag()).events).toBe(0);
  });

  it('wakes on events committed in this process, without waiting for its poll', async () => {
    const { chat, id } = await setup();
    const seen: number[] = [];
    const feed = createFeed({ chat, name: 'wake', lease: false, pollMs: 60_000, handle: ({ events }) => void seen.push(...events.map((e) => e.seq)) });
    feed.start();
    await chat.as('ana').send({ conversationId: id, clientId: 'w', text: 'x' });
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([1, 2]);
    await feed.stop();
  });

  it('refuses bad options and stores without a feed with INVALID', async () => {
    const { chat } = await setup();
    const codes = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isChatError(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(codes(() => createFeed({ chat, name: '', handle: () => undefined }))).toBe('INVALID');
    expect(codes(() => createFeed({ chat, name: 'x', batchSize: 0, handle: () => undefined }))).toBe('INVALID');
    const bare = { ...createMemoryStore(), feed: undefined } as ChatStore;
    expect(codes(() => createFeed({ chat: createChat({ store: bare }), name: 'x', handle: () => undefined }))).toBe('INVALID');
  });
});

import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { isChatError } from './errors.js';
import { createFeed } from './feed.js';
import { createMemoryStore } from './memory-store.js';
import { createManualClock } from './testing/fixtures.js';
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

  it('a holder that loses its lease mid-pass stops before the next batch; the new holder goes on', async () => {
    const clock = createManualClock();
    const chat = createChat({ store: createMemoryStore(), clock });
    await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    for (const t of ['a', 'b', 'c']) await chat.as('ana').createGroup({ title: t, memberIds: [] });
    const byA: string[] = [];
    const byB: string[] = [];
    const b = createFeed({ chat, name: 'shared', lease: { ttlMs: 1000, holder: 'b' }, handle: ({ conversationId }) => void byB.push(conversationId) });
    let stalled = false;
    const a = createFeed({
      chat,
      name: 'shared',
      pageSize: 1,
      concurrency: 1,
      lease: { ttlMs: 1000, holder: 'a' },
      handle: async ({ conversationId }) => {
        byA.push(conversationId);
        if (stalled) return;
        stalled = true;
        clock.advance(2000); // A stalls past its lease; B takes over meanwhile
        expect((await b.runOnce()).leased).toBe(true);
        await chat.as('ana').createGroup({ title: 'late', memberIds: [] }); // work A must not take
      },
    });
    const result = await a.runOnce();
    expect(result.leased).toBe(false);
    expect(byA).toHaveLength(1); // it finished the batch in hand (at least once), then stopped
    expect(byB).toHaveLength(3); // B processed everything, A's batch again included
    expect(a.leased).toBe(false);
    await b.runOnce();
    expect(byB).toHaveLength(4);
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

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChannels } from '../src/seed.js';
import { startDemoServer, type DemoServer } from '../src/server.js';

describe('a new demo user is welcomed without unread badges for their own notices', () => {
  let dir: string;
  let chat: Chat;
  let server: DemoServer;
  const signIn = async (displayName: string) => {
    const res = await fetch(`${server.url}/api/dev-login`, {
      method: 'POST',
      body: JSON.stringify({ displayName }),
      headers: { 'content-type': 'application/json' },
    });
    return ((await res.json()) as { user: { id: string } }).user.id;
  };
  const unreadByTitle = async (userId: string) =>
    Object.fromEntries((await chat.as(userId).inbox()).items.map((e) => [e.conversation.title, e.unread]));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-demo-welcome-'));
    chat = createChat({ store: createMemoryStore() });
    expect(await seedChannels(chat)).toEqual(['general', 'random']);
    server = await startDemoServer({ chat, dataDir: dir, port: 0, log: () => {} });
  });
  afterAll(async () => {
    await server?.close();
    await chat?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('their own "joined" notices are not unread for them; another user\'s are', async () => {
    const ana = await signIn('Ana');
    // the notices are there…
    const general = (await chat.as(ana).inbox()).items.find((e) => e.conversation.title === 'general')!;
    const { events } = await chat.as(ana).history({ conversationId: general.conversation.id });
    expect(events.flatMap((e) => (e.type === 'message' && e.message.kind === 'system' ? [e.message.text] : []))).toEqual(['👋 Ana joined #general']);
    // …and not unread for Ana
    expect(await unreadByTitle(ana)).toEqual({ general: 0, random: 0 });
    expect(await chat.as(ana).unreadTotal()).toEqual({ total: 0, conversations: 0 });

    const ben = await signIn('Ben');
    expect(await unreadByTitle(ben)).toEqual({ general: 0, random: 0 });
    // Ben's arrival is news for Ana
    expect(await unreadByTitle(ana)).toEqual({ general: 1, random: 1 });
  });
});

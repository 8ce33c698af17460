import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type ParleyClient } from '@parley/client';
import { startHostApp, type HostApp } from '@parley/example-embed-http';
import { mongoStore } from '../src/mongo.js';

/**
 * A real MongoDB when MONGODB_URL is set; otherwise CongoDB, the wire-compatible test server that
 * runs in-process (it lacks $text and does not enforce unique secondary indexes, so the store runs
 * with search by regex and the app-level flow is what this test checks).
 */
async function server(): Promise<{ url: string; real: boolean; stop(): Promise<void> }> {
  if (process.env.MONGODB_URL) return { url: process.env.MONGODB_URL, real: true, stop: async () => {} };
  const { congodb } = await import('@push.rocks/smartmongo');
  const congo = new congodb.CongoServer({ port: 0 });
  await congo.start();
  const { port } = (congo as unknown as { server: Server }).server.address() as AddressInfo;
  console.info('[embed-mongo] no MONGODB_URL: using CongoDB in-process (search by regex, no unique-index enforcement)');
  return { url: `mongodb://127.0.0.1:${port}`, real: false, stop: () => congo.stop() };
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('embed-mongo: the same host app on MongoDB', () => {
  let mongo: Awaited<ReturnType<typeof server>>;
  let store: Awaited<ReturnType<typeof mongoStore>>;
  let app: HostApp;
  const clients: ParleyClient[] = [];
  const database = `parley_embed_${Date.now()}`;

  beforeAll(async () => {
    mongo = await server();
    store = await mongoStore({
      url: mongo.url,
      database,
      ...(mongo.real ? {} : { clientOptions: { directConnection: true, serverMonitoringMode: 'poll' as const }, store: { capabilities: { fullTextSearch: false, uniqueConstraints: false } } }),
    });
    app = await startHostApp({ store: store.store, port: 0 });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.close();
    if (mongo?.real) await store?.client.db(database).dropDatabase();
    await store?.close();
    await mongo?.stop();
  });

  it('logs in with the host app’s accounts and chats in a group, with history and search from MongoDB', async () => {
    const token = async (username: string, password: string) =>
      ((await (await fetch(`${app.url}/login`, { method: 'POST', body: JSON.stringify({ username, password }) })).json()) as { token: string }).token;
    const connect = (t: string) => {
      const c = createClient({ url: app.chatUrl, token: t, WebSocket, window: null });
      clients.push(c);
      return c;
    };
    const alice = connect(await token('alice', 'wonderland'));
    const carol = connect(await token('carol', 'singer'));
    await token('bob', 'builder');
    await until(() => alice.connection.getSnapshot().state === 'ready' && carol.connection.getSnapshot().state === 'ready');

    const group = await alice.api.createGroup({ title: 'Book club', memberIds: ['bob', 'carol'] });
    await until(() => carol.inbox.getSnapshot().byId[group.id] !== undefined);
    const first = await alice.send({ conversationId: group.id, text: 'Next book: Dune' }).message;
    await carol.send({ conversationId: group.id, text: 'Great pick', replyTo: first.seq }).message;
    await until(() => alice.inbox.getSnapshot().byId[group.id]?.unread === 1);

    const history = await app.chat.as('bob').history({ conversationId: group.id });
    const texts = history.events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
    expect(texts).toEqual(['Next book: Dune', 'Great pick']);
    const hits = await app.chat.as('bob').search({ query: 'dune' });
    expect(hits.items.map((m) => m.seq)).toEqual([first.seq]);
    expect((await app.chat.as('bob').unreadTotal()).total).toBe(2);
  });
});

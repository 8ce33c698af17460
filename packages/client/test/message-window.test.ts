/** The held window of a conversation when the first page is larger than the window. */
import { afterEach, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { TestServer, device } from './harness.js';

let server: TestServer | null = null;
let client: ParleyClient | null = null;
afterEach(async () => {
  client?.close();
  await server?.stop();
});

it('a first page trimmed to a smaller messageWindow reports older messages, and loadOlder reaches the first one', async () => {
  server = new TestServer();
  await server.start();
  for (const id of ['ana', 'ben']) await server.chat.upsertUser({ id, displayName: id });
  const g = await server.chat.as('ben').createGroup({ title: 'g', memberIds: ['ana'] });
  for (let i = 0; i < 35; i++) await server.chat.as('ben').send({ conversationId: g.id, clientId: `m${i}`, text: `m${i}` });
  client = device(server, 'ana', 'ana', { messageWindow: 20, pageSize: 50 });
  await client.ready();
  await client.open(g.id);
  const snap = client.messages(g.id).getSnapshot();
  expect(snap.messages.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 15}`));
  expect(snap.hasOlder).toBe(true);
  expect(await client.loadOlder(g.id)).toEqual({ hasMore: false });
  expect(client.messages(g.id).getSnapshot().messages).toHaveLength(35);
});

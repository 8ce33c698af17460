/**
 * Batched delivery receipts over a real socket: a device that comes back to news in many
 * conversations tells the server in one request (`markDeliveredMany`), not one per conversation,
 * and every sender's view of the receipts converges to the server's.
 */
import { HARD_LIMITS } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { TestServer, device, recordingWebSocket, until, type SentFrame } from './harness.js';

let server: TestServer | null = null;
const clients: ParleyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = null;
});

async function groupsWithNews(s: TestServer, count: number): Promise<string[]> {
  for (const id of ['ana', 'ben']) await s.chat.upsertUser({ id, displayName: id });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const g = await s.chat.as('ana').createGroup({ title: `g${i}`, memberIds: ['ben'] });
    await s.chat.as('ana').send({ conversationId: g.id, clientId: `m${i}`, text: `news ${i}` });
    ids.push(g.id);
  }
  return ids;
}

const deliveredOf = async (s: TestServer, ids: string[]) =>
  Promise.all(ids.map(async (id) => (await s.chat.as('ana').receipts({ conversationId: id })).find((r) => r.userId === 'ben')!.deliveredSeq));
const lastSeqs = async (s: TestServer, ids: string[]) => Promise.all(ids.map(async (id) => (await s.chat.as('ben').getConversation({ conversationId: id })).conversation.lastSeq));

describe('batched delivery receipts', () => {
  it('12 conversations with new messages reached by one sync: one markDeliveredMany request, and the watermarks converge', async () => {
    server = new TestServer();
    await server.start();
    const ids = await groupsWithNews(server, 12);
    // ana's device watches the receipts arrive
    const ana = device(server, 'ana', 'ana');
    clients.push(ana);
    await ana.ready();
    for (const id of ids) await ana.open(id);

    const sent: SentFrame[] = [];
    const ben = device(server, 'ben', 'ben', { WebSocket: recordingWebSocket(sent) });
    clients.push(ben);
    await ben.ready();
    const want = await lastSeqs(server, ids);
    await until(async () => expect(await deliveredOf(server!, ids)).toEqual(want));
    await new Promise((r) => setTimeout(r, 200));
    const receiptRequests = sent.filter((f) => f.op.startsWith('markDelivered'));
    expect(receiptRequests.map((f) => f.op)).toEqual(['markDeliveredMany']);
    expect(receiptRequests[0]!.params!.receipts).toHaveLength(12);
    // ben's own inbox took the returned receipts; ana's held messages show them as delivered
    await until(() => expect(ben.inbox.getSnapshot().items.map((e) => e.member.deliveredSeq).sort()).toEqual([...want].sort()));
    await until(() => {
      for (const id of ids) expect(ana.messages(id).getSnapshot().messages.at(-1)!.status).toBe('delivered');
    });
  });

  it('more conversations than one request may carry: every request stays within the limit and all converge', async () => {
    server = new TestServer({ limits: { quotas: { conversationsCreated: null } } });
    await server.start();
    const count = HARD_LIMITS.receiptsPerRequest + 20;
    const ids = await groupsWithNews(server, count);
    const sent: SentFrame[] = [];
    const ben = device(server, 'ben', 'ben', { WebSocket: recordingWebSocket(sent) });
    clients.push(ben);
    await ben.ready();
    const want = await lastSeqs(server, ids);
    await until(async () => expect(await deliveredOf(server!, ids)).toEqual(want), 15_000);
    const batches = sent.filter((f) => f.op === 'markDeliveredMany').map((f) => f.params!.receipts!.length);
    expect(sent.filter((f) => f.op === 'markDelivered')).toEqual([]);
    expect(Math.max(...batches)).toBeLessThanOrEqual(HARD_LIMITS.receiptsPerRequest);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(count);
    // the sync pages arrive one after another; each flush is one request per 100 conversations
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(count / 50));
  });

  it('a live push in one conversation still sends a single markDelivered', async () => {
    server = new TestServer();
    await server.start();
    const [id] = await groupsWithNews(server, 1);
    const sent: SentFrame[] = [];
    const ben = device(server, 'ben', 'ben', { WebSocket: recordingWebSocket(sent) });
    clients.push(ben);
    await ben.ready();
    await until(async () => expect(await deliveredOf(server!, [id!])).toEqual(await lastSeqs(server!, [id!])));
    sent.length = 0;
    const m = await server.chat.as('ana').send({ conversationId: id!, clientId: 'live', text: 'live' });
    await until(async () => expect(await deliveredOf(server!, [id!])).toEqual([m.seq]));
    expect(sent.filter((f) => f.op.startsWith('markDelivered')).map((f) => f.op)).toEqual(['markDelivered']);
  });
});

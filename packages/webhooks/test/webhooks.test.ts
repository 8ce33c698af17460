import { createChat, createMemoryStore, isChatError, type Chat } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhooks, SIGNATURE_HEADER, signatureHeader, verifyWebhook, type WebhookPayload, type Webhooks } from '../src/index.js';
import { startReceiver } from './receiver.js';

const SECRET = 'whsec-test-0123456789';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const chat = createChat({ store: createMemoryStore() });
  await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
  await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
  const g = await chat.as('ana').createGroup({ title: 'g', memberIds: ['ben'] });
  cleanups.push(() => chat.close());
  return { chat, id: g.id };
}

async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(answer);
  cleanups.push(r.close);
  return r;
}

function hooks(chat: Chat, url: string, extra: Partial<Parameters<typeof createWebhooks>[0]> = {}): Webhooks {
  const w = createWebhooks({
    chat,
    endpoints: [{ id: 'crm', url, secret: SECRET, types: ['message'], timeoutMs: 2000 }],
    retry: { baseMs: 5, maxDelayMs: 20 },
    feed: { pollMs: 10, lease: false },
    ...extra,
  });
  cleanups.push(() => w.stop());
  return w;
}

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const code = (f: () => unknown) => {
  try {
    f();
    return 'none';
  } catch (error) {
    return isChatError(error) ? error.code : 'other';
  }
};

describe('webhooks against a real HTTP receiver', () => {
  it('signs each request: the receiver verifies it, and a changed body, timestamp or secret is rejected', async () => {
    const { chat, id } = await setup();
    const r = await receiver();
    const w = hooks(chat, r.url);
    await chat.as('ana').send({ conversationId: id, clientId: 'c1', text: 'hello' });
    await w.runOnce();
    expect(r.received).toHaveLength(1);
    const { body, headers } = r.received[0]!;
    const header = headers[SIGNATURE_HEADER];
    const payload = verifyWebhook<WebhookPayload>({ body, header, secret: SECRET });
    expect(payload).toMatchObject({ id: `${id}:2`, endpointId: 'crm', type: 'message', conversationId: id, seq: 2 });
    expect(payload.event.type === 'message' && payload.event.message.text).toBe('hello');
    expect(headers['parley-webhook-id']).toBe(`${id}:2`);
    // tampering
    expect(code(() => verifyWebhook({ body: body.replace('hello', 'HELLO'), header, secret: SECRET }))).toBe('UNAUTHENTICATED');
    expect(code(() => verifyWebhook({ body, header, secret: 'whsec-other-secret' }))).toBe('UNAUTHENTICATED');
    const t = Number(/t=(\d+)/.exec(String(header))![1]);
    expect(code(() => verifyWebhook({ body, header: String(header).replace(`t=${t}`, `t=${t + 1}`), secret: SECRET }))).toBe('UNAUTHENTICATED');
    expect(code(() => verifyWebhook({ body, header, secret: SECRET, now: (t + 301) * 1000 }))).toBe('UNAUTHENTICATED');
    expect(code(() => verifyWebhook({ body, header: undefined, secret: SECRET }))).toBe('UNAUTHENTICATED');
    expect(code(() => verifyWebhook({ body, header: 't=1,v1=zz', secret: SECRET }))).toBe('UNAUTHENTICATED');
    // rotation: a header signed with two secrets verifies with either
    const now = Math.floor(Date.now() / 1000);
    const rotated = signatureHeader(['whsec-old-secret', SECRET], now, body);
    expect(verifyWebhook<WebhookPayload>({ body, header: rotated, secret: 'whsec-old-secret' }).seq).toBe(2);
  });

  it('a receiver failing 5 times then succeeding gets every event, in order, each accepted exactly once', async () => {
    const { chat, id } = await setup();
    const r = await receiver((i) => (i < 5 ? 500 : 200));
    const w = hooks(chat, r.url);
    for (let i = 0; i < 4; i++) await chat.as(i % 2 ? 'ben' : 'ana').send({ conversationId: id, clientId: `m${i}`, text: `m${i}` });
    w.start();
    await until(() => r.received.filter((x) => x.status === 200).length === 4);
    await w.stop();
    const seqOf = (x: { body: string }) => (JSON.parse(x.body) as WebhookPayload).seq;
    // the first event is tried 6 times (5 failures, then accepted); the others once each, after it
    expect(r.received.map((x) => [seqOf(x), x.status])).toEqual([
      [2, 500], [2, 500], [2, 500], [2, 500], [2, 500], [2, 200], [3, 200], [4, 200], [5, 200],
    ]);
    expect((await w.lag('crm')).events).toBe(0);
  });

  it('only the endpoint\'s event types are sent; two endpoints are independent (one failing does not hold up the other)', async () => {
    const { chat, id } = await setup();
    const good = await receiver();
    const down = await receiver(() => 503);
    const w = createWebhooks({
      chat,
      endpoints: [
        { id: 'joins', url: good.url, secret: SECRET, types: ['member.joined'] },
        { id: 'down', url: down.url, secret: SECRET },
      ],
      retry: { baseMs: 5, maxDelayMs: 20 },
      feed: { lease: false },
    });
    cleanups.push(() => w.stop());
    await chat.upsertUser({ id: 'cy', displayName: 'Cy' });
    await chat.as('ana').send({ conversationId: id, clientId: 'x', text: 'x' });
    await chat.as('ana').addMembers({ conversationId: id, userIds: ['cy'] });
    await w.runOnce();
    expect(good.received.map((x) => (JSON.parse(x.body) as WebhookPayload).type)).toEqual(['member.joined']);
    expect(down.received.length).toBeGreaterThan(0);
    expect((await w.lag('down')).events).toBe(3); // created, message, joined: all waiting
  });

  it('gives up after giveUpAfterMs: the event is a dead letter, later events flow, replay delivers it and clears it', async () => {
    const { chat, id } = await setup();
    let healthy = false;
    const r = await receiver((_, body) => (healthy || (JSON.parse(body) as WebhookPayload).seq !== 2 ? 200 : 500));
    const w = hooks(chat, r.url, { retry: { baseMs: 5, maxDelayMs: 10, giveUpAfterMs: 100 } });
    await chat.as('ana').send({ conversationId: id, clientId: 'a', text: 'poison' });
    await chat.as('ana').send({ conversationId: id, clientId: 'b', text: 'fine' });
    w.start();
    await until(() => r.received.some((x) => x.status === 200));
    await w.stop();
    const dead = await w.deadLetters('crm');
    expect(dead).toEqual([{ conversationId: id, seq: 2, reason: 'HTTP 500', at: expect.any(Number) }]);
    expect(r.received.filter((x) => x.status === 200).map((x) => (JSON.parse(x.body) as WebhookPayload).seq)).toEqual([3]);
    healthy = true;
    expect((await w.replay('crm', { conversationId: id, seq: 2 })).ok).toBe(true);
    expect(await w.deadLetters('crm')).toEqual([]);
    expect(r.received.filter((x) => x.status === 200).map((x) => (JSON.parse(x.body) as WebhookPayload).seq)).toEqual([3, 2]);
    await expect(w.replay('crm', { conversationId: id, seq: 99 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a receiver that does not answer times out and is retried', async () => {
    const { chat, id } = await setup();
    const r = await receiver((i) => (i === 0 ? 'hang' : 200));
    const attempts: Array<string | undefined> = [];
    const w = createWebhooks({
      chat,
      endpoints: [{ id: 'slow', url: r.url, secret: SECRET, types: ['message'], timeoutMs: 150 }],
      retry: { baseMs: 5, maxDelayMs: 20 },
      feed: { pollMs: 10, lease: false },
      onAttempt: ({ attempt }) => attempts.push(attempt.error),
    });
    cleanups.push(() => w.stop());
    await chat.as('ana').send({ conversationId: id, clientId: 'a', text: 'x' });
    w.start();
    await until(() => r.received.some((x) => x.status === 200));
    expect(attempts).toEqual(['no answer within 150 ms', undefined]);
  });

  it('refuses bad endpoints with INVALID', async () => {
    const { chat } = await setup();
    const make = (endpoint: Record<string, unknown>) => () => createWebhooks({ chat, endpoints: [{ id: 'e', url: 'http://127.0.0.1/h', secret: SECRET, ...endpoint }] as never });
    expect(code(make({ url: 'ftp://x/y' }))).toBe('INVALID');
    expect(code(make({ secret: 'short' }))).toBe('INVALID');
    expect(code(make({ id: 'bad id' }))).toBe('INVALID');
    expect(code(make({ timeoutMs: 0 }))).toBe('INVALID');
    expect(code(() => createWebhooks({ chat, endpoints: [{ id: 'a', url: 'http://x/', secret: SECRET }, { id: 'a', url: 'http://x/', secret: SECRET }] }))).toBe('INVALID');
  });
});

import { createChat, createMemoryPresence, createMemoryStore, isChatError, type Chat } from '@parley/core';
import { createManualClock } from '@parley/core/testing';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushNotifier, createWebPushProvider, topicOf, type PushNotification, type PushNotifier } from '../src/index.js';
import { browserSubscription, startPushService, vapidClaims } from './push-service.js';

// Web Push end to end: the notifier on the change feed, the provider on the real `web-push`
// package, and a local push service (HTTPS) that decrypts each payload (RFC 8291) and checks VAPID.
const vapid = { subject: 'mailto:ops@example.com', ...webpush.generateVAPIDKeys() };
let service: Awaited<ReturnType<typeof startPushService>>;
beforeAll(async () => {
  service = await startPushService();
});
afterAll(async () => {
  await service.close();
});

let worldCount = 0;
async function world(privacy: 'full' | 'hidden' = 'full') {
  const w = `w${worldCount++}`;
  const clock = createManualClock(Date.now());
  const presence = createMemoryPresence();
  const chat: Chat = createChat({ store: createMemoryStore(), presence, clock });
  for (const [id, name] of [['ana', 'Ana'], ['ben', 'Ben'], ['cy', 'Cy']]) await chat.upsertUser({ id: id!, displayName: name! });
  const g = await chat.as('ana').createGroup({ title: 'Team', memberIds: ['ben', 'cy'] });
  const push: PushNotifier = createPushNotifier({
    chat,
    presence,
    privacy,
    feed: { lease: false },
    providers: [createWebPushProvider({ webpush, vapid, requestOptions: { agent: service.agent } })],
  });
  const device = async (userId: string, level: 'all' | 'mentions' | 'none' = 'all') => {
    const browser = browserSubscription(service.url, `${w}-${userId}`);
    await push.registerDevice({ userId, deviceId: `${userId}-browser`, provider: 'webpush', token: browser.token, level });
    return browser;
  };
  await push.runOnce(); // the group's creation
  const received = (userId: string, browser: ReturnType<typeof browserSubscription>) =>
    service.requests.filter((r) => r.subscriptionId === `${w}-${userId}`).map((r) => JSON.parse(browser.decrypt(r.body)) as PushNotification);
  let sent = 0;
  const send = (from: string, text: string, extra: { mentions?: string[]; replyTo?: number } = {}) =>
    chat.as(from).send({ conversationId: g.id, clientId: `c${sent++}`, text, ...extra });
  return { chat, clock, presence, push, id: g.id, device, received, send, w };
}

describe('push notifications over Web Push, to a local push service', () => {
  it('an offline member gets the message, encrypted (RFC 8291), VAPID-signed, with a Topic per conversation and the unread badge', async () => {
    const t = await world();
    const ben = await t.device('ben');
    const m = await t.send('ana', 'hello ben');
    await t.push.runOnce();
    expect(t.received('ben', ben)).toEqual([{ title: 'Team', body: 'Ana: hello ben', conversationId: t.id, seq: m.seq, count: 1, badge: 1, collapseKey: t.id }]);
    const request = service.requests.find((r) => r.subscriptionId === `${t.w}-ben`)!;
    expect(request.headers['content-encoding']).toBe('aes128gcm');
    expect(request.headers.topic).toBe(topicOf(t.id));
    expect(request.headers.urgency).toBe('high');
    expect(Number(request.headers.ttl)).toBe(86_400);
    expect(vapidClaims(String(request.headers.authorization), vapid.publicKey, service.url).sub).toBe('mailto:ops@example.com');
    // the sender gets nothing, and the payload is unreadable without the browser's keys
    expect(service.requests.filter((r) => r.subscriptionId === `${t.w}-ana`)).toEqual([]);
    expect(request.body.includes(Buffer.from('hello ben'))).toBe(false);
  });

  it('members with a live connection and muted members get none; mentions-level devices only mentions and replies to them', async () => {
    const t = await world();
    const ben = await t.device('ben');
    const cy = await t.device('cy', 'mentions');
    await t.chat.connect('ben', 'socket-1');
    const first = await t.send('ana', 'plain');
    await t.push.runOnce();
    expect(t.received('ben', ben)).toEqual([]); // online
    expect(t.received('cy', cy)).toEqual([]); // not a mention
    await t.chat.disconnect('ben', 'socket-1');
    await t.chat.as('ben').mute({ conversationId: t.id, until: t.clock.now() + 60_000 });
    const mention = await t.send('ana', 'hey @cy', { mentions: ['cy'] });
    await t.push.runOnce();
    expect(t.received('ben', ben)).toEqual([]); // muted
    expect(t.received('cy', cy).map((n) => n.seq)).toEqual([mention.seq]);
    const cyOwn = await t.send('cy', 'my question');
    await t.push.runOnce();
    const reply = await t.send('ben', 'an answer', { replyTo: cyOwn.seq });
    await t.push.runOnce();
    expect(t.received('cy', cy).map((n) => n.seq)).toEqual([mention.seq, reply.seq]);
    expect(first.seq).toBeLessThan(mention.seq);
  });

  it('collapses a burst into one notification per device with the count; old messages are not pushed', async () => {
    const t = await world();
    const ben = await t.device('ben');
    await t.send('ana', 'one');
    await t.send('cy', 'two');
    const last = await t.send('ana', 'three');
    await t.push.runOnce();
    expect(t.received('ben', ben)).toEqual([{ title: 'Team', body: 'Ana: three', conversationId: t.id, seq: last.seq, count: 3, badge: 3, collapseKey: t.id }]);
    await t.send('ana', 'while the notifier was down');
    t.clock.advance(2 * 3_600_000);
    await t.push.runOnce();
    expect(t.received('ben', ben)).toHaveLength(1);
  });

  it('privacy hidden: no title, no text leaves the server', async () => {
    const t = await world('hidden');
    const ben = await t.device('ben');
    const m = await t.send('ana', 'the secret plan');
    await t.push.runOnce();
    const [n] = t.received('ben', ben);
    expect(n).toEqual({ title: 'New message', body: null, conversationId: t.id, seq: m.seq, count: 1, badge: 1, collapseKey: t.id });
    expect(JSON.stringify(n)).not.toContain('secret');
  });

  it('a token the push service reports gone (410) is removed; a bad token is removed without a request', async () => {
    const t = await world();
    await t.device('ben');
    service.gone.add(`${t.w}-ben`);
    await t.push.registerDevice({ userId: 'cy', deviceId: 'broken', provider: 'webpush', token: '{"not":"a subscription"}' });
    expect((await t.push.devices('ben')).map((d) => d.deviceId)).toEqual(['ben-browser']);
    await t.send('ana', 'anyone?');
    await t.push.runOnce();
    expect(await t.push.devices('ben')).toEqual([]);
    expect(await t.push.devices('cy')).toEqual([]);
    expect(service.requests.filter((r) => r.subscriptionId === `${t.w}-ben`)).toHaveLength(1);
  });

  it('device registration refuses bad input with typed errors and changes nothing', async () => {
    const t = await world();
    const code = async (input: Parameters<PushNotifier['registerDevice']>[0]) => {
      try {
        await t.push.registerDevice(input);
        return 'none';
      } catch (error) {
        return isChatError(error) ? error.code : 'other';
      }
    };
    const ok = { userId: 'ben', deviceId: 'd1', provider: 'webpush', token: 'x' };
    expect(await code({ ...ok, provider: 'fcm' })).toBe('INVALID');
    expect(await code({ ...ok, deviceId: 'has space' })).toBe('INVALID');
    expect(await code({ ...ok, token: 'x'.repeat(4097) })).toBe('INVALID');
    expect(await code({ ...ok, level: 'loud' as never })).toBe('INVALID');
    expect(await code({ ...ok, userId: 'nobody' })).toBe('NOT_FOUND');
    expect(await t.push.devices('ben')).toEqual([]);
    expect(await t.push.removeDevice({ userId: 'ben', deviceId: 'd1' })).toBe(false);
  });
});

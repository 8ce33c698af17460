import type { ConversationEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createChat, type ChatOptions } from './chat.js';
import { isChatError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import { createMemoryPubSub, topics, type BusMessage } from './pubsub.js';
import { createManualClock } from './testing.js';

async function setup(options: Partial<ChatOptions> = {}) {
  const clock = createManualClock();
  const store = createMemoryStore();
  const pubsub = createMemoryPubSub();
  const chat = createChat({ store, pubsub, clock, ...options });
  for (const id of ['ana', 'ben', 'cy']) await chat.upsertUser({ id, displayName: id.toUpperCase() });
  const dm = await chat.as('ana').openDirect({ userId: 'ben' });
  return { chat, store, clock, pubsub, dm };
}

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isChatError(e) ? e.code : String(e)));
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('limits', () => {
  it('text over maxTextLength and too many attachments are INVALID and store nothing', async () => {
    const { chat, store, dm } = await setup({ limits: { maxTextLength: 10, maxAttachments: 1 } });
    expect(await code(chat.as('ana').send({ conversationId: dm.id, clientId: '1', text: 'x'.repeat(11) }))).toBe('INVALID');
    const att = { url: 'https://cdn/x.png', mime: 'image/png', size: 10 };
    expect(await code(chat.as('ana').send({ conversationId: dm.id, clientId: '2', kind: 'image', attachments: [att, att] }))).toBe('INVALID');
    expect((await store.getConversation(dm.id))!.lastSeq).toBe(1);
    expect(await code(chat.as('ana').send({ conversationId: dm.id, clientId: '3', text: 'x'.repeat(10) }))).toBe('ok');
    expect(await code(chat.as('ana').send({ conversationId: dm.id, clientId: '4', kind: 'image', attachments: [att] }))).toBe('ok');
  });

  it('edit and delete windows', async () => {
    const { chat, clock, dm } = await setup({ limits: { editWindowMs: 1000, deleteWindowMs: 2000 } });
    const m = await chat.as('ana').send({ conversationId: dm.id, clientId: '1', text: 'hi' });
    clock.advance(1001);
    expect(await code(chat.as('ana').edit({ conversationId: dm.id, seq: m.seq, text: 'ho' }))).toBe('FORBIDDEN');
    expect(await code(chat.as('ana').delete({ conversationId: dm.id, seq: m.seq, scope: 'everyone' }))).toBe('ok');
    const m2 = await chat.as('ana').send({ conversationId: dm.id, clientId: '2', text: 'hi' });
    clock.advance(2001);
    expect(await code(chat.as('ana').delete({ conversationId: dm.id, seq: m2.seq, scope: 'everyone' }))).toBe('FORBIDDEN');
  });
});

describe('hooks', () => {
  it('beforeSend can reject (FORBIDDEN, nothing stored) or rewrite (validated again)', async () => {
    const { chat, store, dm } = await setup({
      limits: { maxTextLength: 20 },
      hooks: {
        beforeSend: ({ message }) => {
          if (message.text?.includes('spam')) return { reject: 'looks like spam' };
          if (message.text?.includes('long')) return { text: 'x'.repeat(50) };
          return message.text ? { text: message.text.replace(/darn/g, '****'), metadata: { moderated: true } } : undefined;
        },
      },
    });
    const rejected = await chat.as('ana').send({ conversationId: dm.id, clientId: '1', text: 'buy spam' }).catch((e: unknown) => e);
    expect(isChatError(rejected, 'FORBIDDEN')).toBe(true);
    expect((rejected as Error).message).toContain('looks like spam');
    expect(await code(chat.as('ana').send({ conversationId: dm.id, clientId: '2', text: 'too long' }))).toBe('INVALID');
    expect((await store.getConversation(dm.id))!.lastSeq).toBe(1);
    const sent = await chat.as('ana').send({ conversationId: dm.id, clientId: '3', text: 'oh darn' });
    expect(sent).toMatchObject({ text: 'oh ****', metadata: { moderated: true } });
    expect((await store.getMessage(dm.id, sent.seq))!.text).toBe('oh ****');
  });
});

describe('calls', () => {
  it('ring timeout marks an unanswered call missed, with an injected clock and a small ringTimeoutMs', async () => {
    const { chat, clock, dm, store } = await setup({ limits: { ringTimeoutMs: 20 } });
    const call = await chat.as('ana').startCall({ conversationId: dm.id, media: 'audio' });
    clock.advance(25);
    // the engine's own timer fires after ringTimeoutMs + 50 ms of real time
    await new Promise((r) => setTimeout(r, 120));
    const stored = (await store.getCall(call.id))!;
    expect(stored.status).toBe('missed');
    const history = await chat.as('ben').history({ conversationId: dm.id });
    const last = history.events[history.events.length - 1]!;
    expect(last.type === 'message' && last.message.call).toMatchObject({ callId: call.id, status: 'missed' });
    expect((await chat.as('ben').callHistory({})).items[0]).toMatchObject({ id: call.id, status: 'missed' });
    await chat.close();
  });

  it('answer then end gives the duration; decline gives declined', async () => {
    const { chat, clock, dm } = await setup();
    const call = await chat.as('ana').startCall({ conversationId: dm.id, media: 'video' });
    clock.advance(500);
    await chat.as('ben').answerCall({ callId: call.id });
    clock.advance(4000);
    expect(await chat.as('ana').endCall({ callId: call.id })).toMatchObject({ status: 'ended', durationMs: 4000 });
    const second = await chat.as('ben').startCall({ conversationId: dm.id, media: 'audio' });
    expect(await chat.as('ana').declineCall({ callId: second.id })).toMatchObject({ status: 'declined', durationMs: null });
    const calls = (await chat.as('ana').callHistory({})).items.map((c) => c.status);
    expect(calls).toEqual(['declined', 'ended']);
    await chat.close();
  });
});

describe('retention', () => {
  it('purges content deleted long ago and expires messages past a conversation TTL', async () => {
    const { chat, clock, dm, store } = await setup({ limits: { purgeDeletedAfterDays: 1 } });
    const m = await chat.as('ana').send({ conversationId: dm.id, clientId: '1', text: 'delete me' });
    await chat.as('ana').delete({ conversationId: dm.id, seq: m.seq, scope: 'everyone' });
    expect(await chat.runRetention()).toEqual({ purged: 0, expired: 0 });
    clock.advance(24 * 3600 * 1000 + 1);
    expect(await chat.runRetention()).toEqual({ purged: 1, expired: 0 });
    const g = await chat.as('ana').createGroup({ title: 'ephemeral', memberIds: ['ben'] });
    await chat.as('ana').updateConversation({ conversationId: g.id, messageTtlSeconds: 10 });
    await chat.as('ben').send({ conversationId: g.id, clientId: 'e', text: 'short-lived' });
    clock.advance(10_001);
    expect(await chat.runRetention()).toEqual({ purged: 0, expired: 1 });
    expect((await store.getMessage(g.id, 3))!).toMatchObject({ text: null, deletedAt: clock.now() });
  });
});

describe('sync', () => {
  it('returns a cursor; later calls return only conversations changed after it; missing or old cursors reset', async () => {
    const { chat, clock, dm } = await setup({ limits: { syncSkewMs: 0, syncMaxAgeMs: 1000 } });
    // the cursor bound is inclusive (changes in the cursor's own millisecond are sent again)
    clock.advance(1);
    const first = await chat.as('ben').sync({});
    expect(first.reset).toBe(true);
    expect(first.entries.map((e) => e.conversation.id)).toEqual([dm.id]);
    clock.advance(10);
    const none = await chat.as('ben').sync({ since: first.cursor });
    expect(none).toMatchObject({ reset: false, entries: [] });
    clock.advance(10);
    const g = await chat.as('ana').createGroup({ title: 'new', memberIds: ['ben'] });
    const changed = await chat.as('ben').sync({ since: none.cursor });
    expect(changed.entries.map((e) => e.conversation.id)).toEqual([g.id]);
    clock.advance(1001);
    expect((await chat.as('ben').sync({ since: changed.cursor })).reset).toBe(true);
    expect(await code(chat.as('ben').sync({ since: 'garbage' }))).toBe('INVALID');
  });
});

describe('typing', () => {
  it('is published to the conversation, throttled, and only for members', async () => {
    const { chat, clock, dm, pubsub } = await setup({ limits: { typingThrottleMs: 1000, typingTtlMs: 3000 } });
    const got: BusMessage[] = [];
    await pubsub.subscribe(topics.conversation(dm.id), (m) => got.push(m));
    await chat.as('ana').typing({ conversationId: dm.id, typing: true });
    await chat.as('ana').typing({ conversationId: dm.id, typing: true });
    clock.advance(999);
    await chat.as('ana').typing({ conversationId: dm.id, typing: true });
    clock.advance(1);
    await chat.as('ana').typing({ conversationId: dm.id, typing: true });
    await chat.as('ana').typing({ conversationId: dm.id, typing: false });
    await chat.as('ana').typing({ conversationId: dm.id, typing: false });
    await flush();
    expect(got).toEqual([
      { t: 'typing', conversationId: dm.id, userId: 'ana', typing: true, expiresInMs: 3000 },
      { t: 'typing', conversationId: dm.id, userId: 'ana', typing: true, expiresInMs: 3000 },
      { t: 'typing', conversationId: dm.id, userId: 'ana', typing: false, expiresInMs: 3000 },
    ]);
    expect(await code(chat.as('cy').typing({ conversationId: dm.id, typing: true }))).toBe('FORBIDDEN');
  });
});

describe('presence', () => {
  it('is visible to contacts and conversation peers, never across a block; lastSeenAt is kept on disconnect', async () => {
    const { chat, clock, pubsub } = await setup();
    const announced: BusMessage[] = [];
    await pubsub.subscribe(topics.presence('ben'), (m) => announced.push(m));
    await chat.connect('ben', 'c1');
    await chat.connect('ben', 'c2');
    expect((await chat.as('ana').presence({ userIds: ['ben'] }))).toEqual([{ userId: 'ben', online: true, lastSeenAt: null }]);
    expect(await chat.as('cy').presence({ userIds: ['ben'] })).toEqual([]);
    await chat.as('cy').setContact({ userId: 'ben' });
    expect((await chat.as('cy').presence({ userIds: ['ben'] })).map((p) => p.online)).toEqual([true]);
    await chat.as('ben').block({ userId: 'cy' });
    expect(await chat.as('cy').presence({ userIds: ['ben'] })).toEqual([]);
    expect(await chat.canSeePresence('ben', 'cy')).toBe(false);
    await chat.as('ana').block({ userId: 'ben' });
    expect(await chat.as('ana').presence({ userIds: ['ben'] })).toEqual([]);
    await chat.as('ana').unblock({ userId: 'ben' });
    await chat.disconnect('ben', 'c1');
    clock.advance(5000);
    await chat.disconnect('ben', 'c2');
    expect(await chat.as('ana').presence({ userIds: ['ben'] })).toEqual([{ userId: 'ben', online: false, lastSeenAt: clock.now() }]);
    await flush();
    expect(announced.map((m) => (m.t === 'presence' ? m.presence.online : null))).toEqual([true, false]);
  });
});

describe('events', () => {
  it('chat.on("event") sees every committed event once, in order, with the conversation', async () => {
    const { chat } = await setup();
    const seen: Array<[ConversationEvent['type'], number, string]> = [];
    chat.on('event', (e, c) => seen.push([e.type, e.seq, c.id]));
    const g = await chat.as('ana').createGroup({ title: 'ev', memberIds: ['ben'] });
    const m = await chat.as('ben').send({ conversationId: g.id, clientId: '1', text: 'hi' });
    await chat.as('ben').send({ conversationId: g.id, clientId: '1', text: 'hi' });
    await chat.as('ana').react({ conversationId: g.id, seq: m.seq, emoji: '🎉' });
    await chat.as('ana').addMembers({ conversationId: g.id, userIds: ['cy'] });
    await chat.as('cy').leave({ conversationId: g.id });
    await chat.systemMessage({ conversationId: g.id, senderId: 'ana', text: 'welcome' });
    expect(seen).toEqual([
      ['conversation.created', 1, g.id],
      ['message', 2, g.id],
      ['message.reaction', 3, g.id],
      ['member.joined', 4, g.id],
      ['member.left', 5, g.id],
      ['message', 6, g.id],
    ]);
    const off = chat.on('event', () => seen.push(['message', -1, 'x']));
    off();
    await chat.as('ana').send({ conversationId: g.id, clientId: '2', text: 'x' });
    expect(seen.filter((s) => s[1] === -1)).toEqual([]);
  });

  it('committed events are published on the conversation topic and joins/leaves on the user topic', async () => {
    const { chat, pubsub } = await setup();
    const g = await chat.as('ana').createGroup({ title: 'bus' });
    const onConv: BusMessage[] = [];
    const onUser: BusMessage[] = [];
    await pubsub.subscribe(topics.conversation(g.id), (m) => onConv.push(m));
    await pubsub.subscribe(topics.user('cy'), (m) => onUser.push(m));
    await chat.as('ana').addMembers({ conversationId: g.id, userIds: ['cy'] });
    await chat.as('cy').send({ conversationId: g.id, clientId: '1', text: 'hi' });
    await flush();
    expect(onConv.map((m) => (m.t === 'event' ? m.event.type : m.t))).toEqual(['member.joined', 'message']);
    expect(onUser.map((m) => (m.t === 'event' ? m.event.type : m.t))).toEqual(['member.joined']);
  });
});

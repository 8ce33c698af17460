import type { ConversationEvent } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createFaultyPubSub, sleep, startHarness, type Harness, type TestClient } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

/** Two users with two devices each, plus an outsider. */
async function cast(options: Parameters<typeof startHarness>[0] = {}) {
  h = await startHarness({ users: ['ana', 'ben', 'cat', 'dan'], ...options });
  const [ana1, ana2, ben1, ben2, cat] = await Promise.all([h.connect('ana'), h.connect('ana'), h.connect('ben'), h.connect('ben'), h.connect('cat')]);
  return { ana1: ana1!, ana2: ana2!, ben1: ben1!, ben2: ben2!, cat: cat! };
}

const isEvent = (type: ConversationEvent['type'], conversationId?: string) => (p: { ev: string; event?: ConversationEvent }) =>
  p.ev === 'event' && p.event!.type === type && (!conversationId || p.event!.conversationId === conversationId);

describe('fan-out', () => {
  it('reaches every device of every member and nobody else', async () => {
    const { ana1, ana2, ben1, ben2, cat } = await cast();
    const group = await ana1.request('createGroup', { title: 'G', memberIds: ['ben'] });
    const all = [ana1, ana2, ben1, ben2];
    await Promise.all(all.map((c) => c.waitFor(isEvent('conversation.created', group.id))));
    const m = await ben2.request('send', { conversationId: group.id, clientId: 'x', text: 'hi all' });
    for (const c of all) {
      const p = await c.waitFor(isEvent('message', group.id));
      expect(p).toMatchObject({ event: { seq: m.seq, message: { text: 'hi all' } } });
    }
    await ana2.request('markRead', { conversationId: group.id, seq: m.seq });
    for (const c of all) await c.waitFor((p) => p.ev === 'receipt' && p.receipt.userId === 'ana' && p.receipt.readSeq === m.seq);
    await ana1.request('typing', { conversationId: group.id, typing: true });
    for (const c of [ben1, ben2]) expect(await c.waitFor((p) => p.ev === 'typing')).toMatchObject({ userId: 'ana', typing: true, expiresInMs: expect.any(Number) });
    await sleep(100);
    expect([...ana1.pushes, ...ana2.pushes].some((p) => p.ev === 'typing')).toBe(false);
    expect(cat.pushes.filter((p) => p.ev !== 'ready')).toEqual([]);
    // every event reached each device exactly once
    for (const c of all) expect(c.events(group.id).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('user-topic pushes reach all devices of that user only', async () => {
    const { ana1, ana2, ben1 } = await cast();
    await ana1.request('setContact', { userId: 'ben', alias: 'Benny' });
    expect(await ana2.waitFor((p) => p.ev === 'contact')).toMatchObject({ contact: { userId: 'ben', alias: 'Benny' }, removed: false });
    await sleep(50);
    expect(ben1.pushes.some((p) => p.ev === 'contact')).toBe(false);
  });

  it('keeps seq order per conversation, exactly once, under concurrent senders', async () => {
    const { ana1, ana2, ben1, ben2 } = await cast({ limits: { ratePerSecond: 1000, rateBurst: 1000 } });
    const group = await ana1.request('createGroup', { title: 'G', memberIds: ['ben'] });
    const senders = [ana1, ana2, ben1, ben2];
    const perSender = 40;
    await Promise.all(
      senders.map(async (c, i) => {
        for (let k = 0; k < perSender; k++) await c.request('send', { conversationId: group.id, clientId: `s${i}-${k}`, text: `m${k}` });
      }),
    );
    const expected = Array.from({ length: senders.length * perSender + 1 }, (_, i) => i + 1);
    for (const c of senders) {
      await c.until(() => (c.events(group.id).length >= expected.length ? true : undefined));
      expect(c.events(group.id).map((e) => e.seq)).toEqual(expected);
    }
  });

  it('follows membership: joined users start receiving, removed users stop after their member.left', async () => {
    const { ana1, ben1, cat } = await cast();
    const group = await ana1.request('createGroup', { title: 'G', memberIds: ['ben'] });
    await ana1.request('send', { conversationId: group.id, clientId: 'before', text: 'before cat' });
    await ana1.request('addMembers', { conversationId: group.id, userIds: ['cat'] });
    await cat.waitFor(isEvent('member.joined', group.id));
    await ana1.request('send', { conversationId: group.id, clientId: 'during', text: 'with cat' });
    await cat.waitFor(isEvent('message', group.id));
    await ana1.request('removeMember', { conversationId: group.id, userId: 'cat' });
    await cat.waitFor(isEvent('member.left', group.id));
    await ana1.request('send', { conversationId: group.id, clientId: 'after', text: 'after cat' });
    await ben1.until(() => (ben1.events(group.id).length === 6 ? true : undefined));
    await sleep(100);
    expect(cat.events(group.id).map((e) => e.type)).toEqual(['member.joined', 'message', 'member.left']);
    expect(cat.events(group.id).every((e) => e.type !== 'message' || e.message.text === 'with cat')).toBe(true);
  });

  it('fills a gap from the store when the bus lost an event, in order', async () => {
    const bus = createFaultyPubSub();
    const { ana1, ben1 } = await cast({ chat: { pubsub: bus } });
    const dm = await ana1.request('openDirect', { userId: 'ben' });
    await ben1.waitFor(isEvent('conversation.created', dm.id));
    bus.drop = (topic, m) => topic.startsWith('c:') && m.t === 'event' && m.event.type === 'message' && m.event.message.text === 'lost';
    await ana1.request('send', { conversationId: dm.id, clientId: 'a', text: 'lost' });
    bus.drop = null;
    await ana1.request('send', { conversationId: dm.id, clientId: 'b', text: 'found' });
    await ben1.until(() => (ben1.events(dm.id).length === 3 ? true : undefined));
    expect(ben1.events(dm.id).map((e) => (e.type === 'message' ? e.message.text : e.type))).toEqual(['conversation.created', 'lost', 'found']);
  });

  it('pushes resume to every connection when the bus resets', async () => {
    const bus = createFaultyPubSub();
    const { ana1, ben2, cat } = await cast({ chat: { pubsub: bus } });
    bus.reset('broker reconnected');
    for (const c of [ana1, ben2, cat]) expect(await c.waitFor((p) => p.ev === 'resume')).toEqual({ ev: 'resume', reason: 'broker reconnected' });
  });

  it('presence: watchers see changes of users they may see, blocked ones never', async () => {
    h = await startHarness({ users: ['ana', 'ben', 'dan'], limits: { presenceCacheMs: 0 } });
    const ana = await h.connect('ana');
    const ben = await h.connect('ben');
    await h.chat.as('dan').openDirect({ userId: 'ana' });
    await h.chat.as('dan').openDirect({ userId: 'ben' });
    expect(await ana.request('presence', { userIds: ['dan'] })).toEqual([{ userId: 'dan', online: false, lastSeenAt: null }]);
    expect(await ben.request('presence', { userIds: ['dan'] })).toHaveLength(1);
    await h.chat.as('dan').block({ userId: 'ben' });
    const dan = await h.connect('dan');
    expect(await ana.waitFor((p) => p.ev === 'presence')).toMatchObject({ presence: { userId: 'dan', online: true } });
    dan.close();
    expect(await ana.waitFor((p) => p.ev === 'presence' && !p.presence.online)).toMatchObject({ presence: { lastSeenAt: expect.any(Number) } });
    await sleep(100);
    expect(ben.pushes.some((p) => p.ev === 'presence')).toBe(false);
    expect(await ana.request('presence', { userIds: ['dan'] })).toEqual([expect.objectContaining({ online: false, lastSeenAt: expect.any(Number) })]);
  });

  it('follows every conversation of a user with more than one inbox page', async () => {
    h = await startHarness({ users: ['ana', 'ben'] });
    const ids: string[] = [];
    // server-side setup: past the per-user creation quota on purpose
    for (let i = 0; i < 230; i++) ids.push((await h.chat.as('ben', { unlimited: true }).createGroup({ title: `g${i}`, memberIds: ['ana'] })).id);
    const ana = await h.connect('ana');
    expect(h.server.conversations).toBe(230);
    const oldest = ids[0]!;
    const m = await h.chat.as('ben').send({ conversationId: oldest, clientId: 'x', text: 'to the oldest' });
    expect(await ana.waitFor(isEvent('message', oldest))).toMatchObject({ event: { seq: m.seq } });
    ana.close();
    await ana.closed;
    await ana.until(() => (h.server.conversations === 0 ? true : undefined));
  });

  it('authenticates from the upgrade request and from the subprotocol token', async () => {
    h = await startHarness();
    const viaHeader = await h.connect('ana', { auth: 'header' });
    const viaProtocol = await h.connect('ben', { auth: 'protocol' });
    expect(viaHeader.socket.protocol).toBe('parley.v1');
    expect(viaProtocol.socket.protocol).toBe('parley.v1');
    expect(await viaHeader.request('me')).toMatchObject({ id: 'ana' });
    expect(await viaProtocol.request('me')).toMatchObject({ id: 'ben' });
  });
});

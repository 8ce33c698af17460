import { OP_NAMES, PROTOCOL_VERSION, WireOpParams, type AnyOpName, type AnyParamsOf, type AnyResultOf } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, WireError, type Harness, type TestClient } from './helpers.js';

describe('every op round-trips over the wire', () => {
  let h: Harness;
  let ana: TestClient;
  let ben: TestClient;
  const seen = new Set<string>();
  const call = async <K extends AnyOpName>(c: TestClient, op: K, params?: AnyParamsOf<K>): Promise<AnyResultOf<K>> => {
    const result = await c.request(op, params);
    seen.add(op);
    return result;
  };

  beforeAll(async () => {
    h = await startHarness({ users: ['ana', 'ben', 'cat', 'dan'] });
    ana = await h.connect('ana');
    ben = await h.connect('ben');
  });
  afterAll(() => h.close());

  it('answers auth with userId, protocol and serverTime, then refuses a second auth', async () => {
    const c = await h.connect('cat');
    const reply = await c.authReply();
    expect(reply).toMatchObject({ id: 'auth', ok: true, result: { userId: 'cat', protocol: PROTOCOL_VERSION } });
    expect(c.pushes[0]).toMatchObject({ ev: 'ready', userId: 'cat', protocol: PROTOCOL_VERSION });
    await expect(c.request('auth', { token: 'tok-cat' })).rejects.toMatchObject({ body: { code: 'CONFLICT' } });
    seen.add('auth');
    c.close();
  });

  it('profile, users, contacts', async () => {
    expect(await call(ana, 'me')).toMatchObject({ id: 'ana' });
    expect(await call(ana, 'updateProfile', { statusText: 'hi' })).toMatchObject({ statusText: 'hi' });
    expect(await call(ana, 'getUsers', { ids: ['ben', 'nobody'] })).toHaveLength(1);
    expect(await call(ana, 'searchUsers', { query: 'BE' })).toEqual([expect.objectContaining({ id: 'ben' })]);
    expect(await call(ana, 'setContact', { userId: 'ben', alias: 'B' })).toMatchObject({ userId: 'ben' });
    expect(await call(ana, 'listContacts')).toHaveLength(1);
    expect(await call(ana, 'presence', { userIds: ['ben'] })).toEqual([expect.objectContaining({ userId: 'ben', online: true })]);
    expect(await call(ana, 'block', { userId: 'dan' })).toMatchObject({ userId: 'dan', blocked: true });
    expect(await call(ana, 'unblock', { userId: 'dan' })).toMatchObject({ userId: 'dan', blocked: false });
    expect(await call(ana, 'removeContact', { userId: 'dan' })).toEqual({ removed: true });
  });

  it('conversations, messages, reads, calls', async () => {
    const dm = await call(ana, 'openDirect', { userId: 'ben' });
    const group = await call(ana, 'createGroup', { title: 'G', memberIds: ['ben'] });
    const channel = await call(ana, 'createChannel', { title: 'Chan' });
    expect(await call(ana, 'getConversation', { conversationId: group.id })).toMatchObject({ conversation: { id: group.id } });
    expect((await call(ana, 'listMembers', { conversationId: group.id })).items).toHaveLength(2);
    expect(await call(ana, 'addMembers', { conversationId: group.id, userIds: ['cat'] })).toHaveLength(1);
    expect(await call(ana, 'setRole', { conversationId: group.id, userId: 'cat', role: 'admin' })).toMatchObject({ role: 'admin' });
    expect(await call(ana, 'removeMember', { conversationId: group.id, userId: 'cat' })).toMatchObject({ userId: 'cat' });
    expect(await call(ben, 'join', { conversationId: channel.id })).toMatchObject({ userId: 'ben' });
    expect(await call(ben, 'leave', { conversationId: channel.id })).toMatchObject({ userId: 'ben' });
    expect(await call(ana, 'updateConversation', { conversationId: group.id, title: 'G2' })).toMatchObject({ title: 'G2' });
    expect(await call(ben, 'mute', { conversationId: group.id, until: Date.now() + 60_000 })).toMatchObject({ userId: 'ben' });
    expect((await call(ana, 'listChannels', {})).items.length).toBeGreaterThan(0);

    const m1 = await call(ana, 'send', { conversationId: dm.id, clientId: 'c1', text: 'hello there' });
    expect(await call(ana, 'edit', { conversationId: dm.id, seq: m1.seq, text: 'hello again' })).toMatchObject({ text: 'hello again' });
    expect(await call(ben, 'react', { conversationId: dm.id, seq: m1.seq, emoji: '👍' })).toMatchObject({ seq: m1.seq });
    expect(await call(ben, 'pin', { conversationId: dm.id, seq: m1.seq, pinned: true })).toMatchObject({ pinned: true });
    const m2 = await call(ana, 'send', { conversationId: dm.id, clientId: 'c2', text: 'second' });
    expect(await call(ben, 'delete', { conversationId: dm.id, seq: m2.seq, scope: 'me' })).toMatchObject({ scope: 'me' });
    expect(await call(ben, 'hidden', { conversationId: dm.id })).toEqual([m2.seq]);
    expect((await call(ana, 'history', { conversationId: dm.id, after: 0, all: true })).events.length).toBeGreaterThan(3);
    expect(await call(ben, 'markDelivered', { conversationId: dm.id, seq: m2.seq })).toMatchObject({ userId: 'ben' });
    expect(await call(ben, 'markRead', { conversationId: dm.id, seq: m1.seq })).toMatchObject({ readSeq: m1.seq });
    expect(await call(ben, 'markDeliveredMany', { receipts: [{ conversationId: dm.id, seq: m2.seq }, { conversationId: 'nowhere', seq: 1 }] })).toEqual({
      receipts: [{ conversationId: dm.id, userId: 'ben', deliveredSeq: m2.seq, readSeq: m1.seq }],
      skipped: ['nowhere'],
    });
    const tooMany = Array.from({ length: 101 }, () => ({ conversationId: dm.id, seq: 1 }));
    await expect(ben.request('markDeliveredMany', { receipts: tooMany })).rejects.toMatchObject({ body: { code: 'INVALID' } });
    expect(await call(ana, 'receipts', { conversationId: dm.id })).toHaveLength(2);
    expect((await call(ben, 'inbox', {})).items.length).toBeGreaterThan(0);
    expect(await call(ben, 'unreadTotal')).toMatchObject({ total: expect.any(Number) });
    const s = await call(ben, 'sync', {});
    expect(s).toMatchObject({ reset: true, cursor: expect.any(String) });
    await call(ben, 'search', { query: 'hello' });
    expect(await call(ana, 'delete', { conversationId: dm.id, seq: m2.seq, scope: 'everyone' })).toMatchObject({ scope: 'everyone' });

    const c1 = await call(ana, 'startCall', { conversationId: dm.id, media: 'audio' });
    expect(await call(ben, 'answerCall', { callId: c1.id })).toMatchObject({ id: c1.id });
    expect(await call(ana, 'signal', { callId: c1.id, to: 'ben', kind: 'offer', payload: { sdp: 'v=0' } })).toEqual({ ok: true });
    await ben.waitFor((p) => p.ev === 'signal' && p.from === 'ana');
    expect(await call(ana, 'endCall', { callId: c1.id })).toMatchObject({ id: c1.id });
    const c2 = await call(ana, 'startCall', { conversationId: dm.id, media: 'video' });
    expect(await call(ben, 'declineCall', { callId: c2.id })).toMatchObject({ id: c2.id });
    expect((await call(ana, 'callHistory', {})).items.length).toBeGreaterThan(0);

    expect(await call(ana, 'registerPushDevice', { deviceId: 'phone', provider: 'webpush', token: 't' })).toMatchObject({ userId: 'ana', deviceId: 'phone' });
    expect((await call(ana, 'listPushDevices', {})).map((d) => d.deviceId)).toEqual(['phone']);
    expect(await call(ben, 'listPushDevices', {})).toEqual([]);
    expect(await call(ana, 'removePushDevice', { deviceId: 'phone' })).toEqual({ removed: true });

    expect(await call(ana, 'typing', { conversationId: dm.id, typing: true })).toEqual({ ok: true });
    expect(await call(ana, 'ping', {})).toEqual({ now: expect.any(Number) });
  });

  it('moderation and reports', async () => {
    // own connections: the per-connection rate of the others is spent by the tests above
    const dan = await h.connect('dan');
    const cat = await h.connect('cat');
    const channel = await call(dan, 'createChannel', { title: 'Moderated' });
    await call(cat, 'join', { conversationId: channel.id });
    expect(await call(dan, 'muteMember', { conversationId: channel.id, userId: 'cat', durationMs: 60_000 })).toMatchObject({ kind: 'mute', userId: 'cat' });
    expect(await call(dan, 'unmuteMember', { conversationId: channel.id, userId: 'cat' })).toEqual({ lifted: true });
    expect(await call(dan, 'freeze', { conversationId: channel.id, frozen: true })).toMatchObject({ moderation: { frozen: true } });
    expect(await call(dan, 'setSlowMode', { conversationId: channel.id, intervalMs: 1000 })).toMatchObject({ moderation: { frozen: true, slowModeMs: 1000 } });
    const r = await call(cat, 'report', { conversationId: channel.id, userId: 'dan', reason: 'too strict' });
    expect(r).toMatchObject({ status: 'open' });
    // the reported owner sees nothing of the report about them
    expect(await call(dan, 'reportCounts', { conversationId: channel.id })).toEqual({ open: 0, resolved: 0, dismissed: 0 });
    expect((await call(dan, 'listReports', { conversationId: channel.id })).items).toEqual([]);
    await expect(call(dan, 'resolveReport', { conversationId: channel.id, reportId: r.id, action: 'dismiss' })).rejects.toMatchObject({ body: { code: 'NOT_FOUND' } });
    seen.add('resolveReport'); // it round-tripped: its answer is an error frame
    expect(await call(dan, 'ban', { conversationId: channel.id, userId: 'cat', reason: 'spam', durationMs: 60_000 })).toMatchObject({ kind: 'ban', userId: 'cat' });
    expect((await call(dan, 'listRestrictions', { conversationId: channel.id })).items).toEqual([expect.objectContaining({ userId: 'cat', kind: 'ban' })]);
    expect(await call(dan, 'unban', { conversationId: channel.id, userId: 'cat' })).toEqual({ lifted: true });
    dan.close();
    cat.close();
  });

  it('engine errors keep their code and details', async () => {
    const err = await ana.request('getConversation', { conversationId: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).body.code).toBe('FORBIDDEN');
    const invalid = (await ana.request('send', { conversationId: 'x' } as never).catch((e: unknown) => e)) as WireError;
    expect(invalid.body).toMatchObject({ code: 'INVALID', issues: expect.any(Array) });
  });

  it('covered every op', () => {
    const all = [...OP_NAMES, ...Object.keys(WireOpParams)];
    expect(all.filter((op) => !seen.has(op))).toEqual([]);
  });
});

import { CLOSE_CODES } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, snapshot, startHarness, type Harness, type TestClient } from './helpers.js';

describe('bad input gets its documented answer and changes nothing', () => {
  let h: Harness;
  let ana: TestClient;
  let dmId: string;
  let before: string;
  const log = createRecordingLogger();

  beforeAll(async () => {
    h = await startHarness({ logger: log.logger });
    ana = await h.connect('ana');
    const dm = await h.chat.as('ben').openDirect({ userId: 'ana' });
    dmId = dm.id;
    await h.chat.as('ben').send({ conversationId: dm.id, clientId: 'seed', text: 'secret text' });
    before = await snapshot(h.chat);
  });

  afterAll(async () => {
    // the victim is still served, and the store did not change
    expect(await ana.request('ping', {})).toEqual({ now: expect.any(Number) });
    expect(await snapshot(h.chat)).toBe(before);
    const logged = JSON.stringify(log.lines);
    expect(logged).not.toContain('tok-');
    expect(logged).not.toContain('secret text');
    await h.close();
  });

  const attacker = () => h.connect('ben');
  const nullIdReply = (c: TestClient) => c.until(() => c.orphans.find((r) => r.id === null));

  it.each([
    ['not JSON', '{not json'],
    ['empty', ''],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"send"'],
    ['null', 'null'],
    ['no id', JSON.stringify({ op: 'me' })],
  ])('%s → INVALID with id null, connection stays open', async (_name, frame) => {
    const c = await attacker();
    c.sendRaw(frame);
    expect(await nullIdReply(c)).toMatchObject({ id: null, ok: false, error: { code: 'INVALID' } });
    expect(await c.request('ping', {})).toEqual({ now: expect.any(Number) });
    c.close();
  });

  it.each([
    ['op of the wrong type', { id: 7, op: 5 }, 'INVALID'],
    ['unknown op', { id: 7, op: 'dropEverything', params: {} }, 'INVALID'],
    ['prototype op', { id: 7, op: '__proto__', params: {} }, 'INVALID'],
    ['extra envelope field', { id: 7, op: 'me', params: {}, admin: true }, 'INVALID'],
    ['params of the wrong type', { id: 7, op: 'send', params: 'hello' }, 'INVALID'],
    ['missing params fields', { id: 7, op: 'send', params: { text: 'hi' } }, 'INVALID'],
    ['wrong field types', { id: 7, op: 'markRead', params: { conversationId: 1, seq: '2' } }, 'INVALID'],
    ['unknown params fields', { id: 7, op: 'me', params: { as: 'ana' } }, 'INVALID'],
    ['a second auth', { id: 7, op: 'auth', params: { token: 'tok-ana' } }, 'CONFLICT'],
  ])('%s → %s with the request id', async (_name, frame, code) => {
    const c = await attacker();
    c.sendJson(frame);
    const reply = await c.until(() => c.orphans.find((r) => r.id === 7));
    expect(reply).toMatchObject({ id: 7, ok: false, error: { code } });
    expect(await c.request('me')).toMatchObject({ id: 'ben' });
    c.close();
  });

  it('a conversation the sender cannot see → FORBIDDEN, nothing written', async () => {
    const c = await h.connect('cat');
    await expect(c.request('send', { conversationId: dmId, clientId: 'x', text: 'intrude' })).rejects.toMatchObject({ body: { code: 'FORBIDDEN' } });
    await expect(c.request('history', { conversationId: dmId })).rejects.toMatchObject({ body: { code: 'FORBIDDEN' } });
    c.close();
  });

  it('an oversize frame closes with 1009', async () => {
    const c = await attacker();
    c.sendRaw(JSON.stringify({ id: 1, op: 'send', params: { conversationId: dmId, clientId: 'big', text: 'x'.repeat(70 * 1024) } }));
    expect((await c.closed).code).toBe(CLOSE_CODES.TOO_LARGE);
  });

  it('a binary frame closes with 1003', async () => {
    const c = await attacker();
    c.sendRaw(Buffer.from(JSON.stringify({ id: 1, op: 'me' })), true);
    expect((await c.closed).code).toBe(CLOSE_CODES.UNSUPPORTED_DATA);
  });

  it('a flood is rate limited, then closed with 4029', async () => {
    const c = await attacker();
    for (let i = 0; i < 200; i++) c.sendJson({ id: i, op: 'ping', params: {} });
    const closed = await c.closed;
    expect(closed.code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    const limited = c.orphans.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ error: { retryAfterMs: expect.any(Number) } });
    expect(c.orphans.filter((r) => r.ok && r.id !== 'auth').length).toBeLessThanOrEqual(h.server.limits.rateBurst + 2);
  });
});

/**
 * OWASP WebSocket item: message validation. Every inbound frame is parsed; malformed ones get a
 * typed error (INVALID, with the request id when it can be read), the connection stays usable,
 * and nothing changes.
 */
import { OP_NAMES, OpParams } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireSocket } from '../support/wire.js';
import { snapshot, startWorld, type World } from '../support/world.js';

let w: World;
let ana: WireSocket;
let before: string;
let dmId: string;

beforeAll(async () => {
  w = await startWorld(['ana', 'ben'], { limits: { ratePerSecond: 1000, rateBurst: 1000, userRatePerSecond: 1000, userRateBurst: 1000 } });
  ana = await w.socket('ana');
  const dm = await w.chat.as('ana').openDirect({ userId: 'ben' });
  dmId = dm.id;
  await w.chat.as('ben').send({ conversationId: dm.id, clientId: 'seed', text: 'seed message' });
  before = await snapshot(w.chat, w.users);
});

afterAll(async () => {
  expect(await snapshot(w.chat, w.users), 'malformed frames changed the state').toBe(before);
  expect(ana.closeCode, 'the connection survived every malformed frame').toBeNull();
  await w.close();
});

/** Send a raw frame and wait for the error reply that names `id` (or null). */
async function answer(frame: string, id: string | number | null) {
  const seen = ana.replies.length;
  ana.sendRaw(frame);
  return ana.until(() => ana.replies.slice(seen).find((r) => r.id === id), 3000, `reply ${String(id)}`);
}

describe('envelopes', () => {
  it.each([
    ['not JSON', '{"id": 1, "op": ', null],
    ['truncated unicode escape', '{"id":1,"op":"me","params":{"x":"\\ud8"}}', null],
    ['a number', '42', null],
    ['an array', '[{"id":1,"op":"me"}]', null],
    ['no op', '{"id":"a1"}', 'a1'],
    ['op not a string', '{"id":"a2","op":["me"]}', 'a2'],
    ['unknown op', '{"id":"a3","op":"dropTables","params":{}}', 'a3'],
    ['inherited property as op', '{"id":"a4","op":"constructor","params":{}}', 'a4'],
    ['toString as op', '{"id":"a5","op":"toString","params":{}}', 'a5'],
    ['extra top-level key', '{"id":"a6","op":"me","params":{},"as":"ben"}', 'a6'],
    ['id too long', JSON.stringify({ id: 'x'.repeat(65), op: 'me' }), null],
    ['negative numeric id', '{"id":-1,"op":"me"}', null],
    ['fractional id', '{"id":1.5,"op":"me"}', null],
  ])('%s → INVALID', async (_name, frame, id) => {
    const r = await answer(frame, id);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID' } });
  });
});

describe('params of every operation', () => {
  const bad: Array<[string, (op: string) => unknown]> = [
    ['params a string', () => 'x'],
    ['params an array', () => [1]],
    ['an unknown key', () => ({ __proto__x: 1, zzz: true })],
    ['every field the wrong type', () => ({ conversationId: 1, userId: false, seq: 'one', text: 7, callId: {}, ids: 'a', query: 5, title: [], media: 'smell', emoji: 1, scope: 'all', clientId: 9 })],
  ];
  const ops = OP_NAMES.filter((op) => op !== 'me' && op !== 'listContacts' && op !== 'unreadTotal');
  for (const [label, params] of bad) {
    it(`${label}: INVALID for each of ${ops.length} operations, with the request id`, async () => {
      for (const op of ops) {
        const id = `${op}-${label}`.slice(0, 64);
        const r = await answer(JSON.stringify({ id, op, params: params(op) }), id);
        expect(r.ok ? 'ok' : r.error.code, `${op} with ${label}`).toBe('INVALID');
      }
    });
  }

  it('params null counts as no params: INVALID exactly for the operations with required fields', async () => {
    for (const op of OP_NAMES) {
      const needsFields = !OpParams[op].safeParse({}).success;
      const r = await answer(JSON.stringify({ id: `null-${op}`, op, params: null }), `null-${op}`);
      if (needsFields) expect(r.ok ? 'ok' : r.error.code, op).toBe('INVALID');
      else expect(r.ok || r.error.code === 'INVALID', op).toBe(true);
    }
  });

  it('operations without params reject any field', async () => {
    for (const op of ['me', 'listContacts', 'unreadTotal', 'ping']) {
      const r = await answer(JSON.stringify({ id: op, op, params: { userId: 'ben' } }), op);
      expect(r.ok ? 'ok' : r.error.code, op).toBe('INVALID');
    }
  });

  it('INVALID answers say where the input was wrong', async () => {
    const r = await answer(JSON.stringify({ id: 'where', op: 'send', params: { conversationId: dmId, clientId: 'c', text: 5 } }), 'where');
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID', issues: expect.arrayContaining([expect.objectContaining({ path: 'text' })]) } });
  });

  it('prototype-pollution shaped params are refused and pollute nothing', async () => {
    const r = await answer(`{"id":"pp","op":"updateProfile","params":{"__proto__":{"polluted":true},"metadata":{"constructor":{"prototype":{"polluted":true}}}}}`, 'pp');
    expect(r.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r2 = await answer(`{"id":"pp2","op":"send","params":{"conversationId":"${'x'}","clientId":"c","text":"t","__proto__":{"admin":true}}}`, 'pp2');
    expect(r2.ok).toBe(false);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('binary frames close the connection with 1003 and change nothing', async () => {
    const other = await w.socket('ana');
    other.ws.send(Buffer.from(JSON.stringify({ id: 1, op: 'send', params: { conversationId: dmId, clientId: 'bin', text: 'binary' } })), { binary: true });
    expect(await other.closed).toBe(1003);
  });
});

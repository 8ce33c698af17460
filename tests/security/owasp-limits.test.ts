/**
 * OWASP WebSocket items enforced on live connections: max frame size, rate limits, per-user
 * connection caps and idle timeouts. Each limit is configured small so the test is fast, and
 * each test also shows the limit does not hit the well-behaved.
 */
import { CLOSE_CODES, SUBPROTOCOL } from '@parley/protocol';
import { DEFAULT_WS_LIMITS } from '@parley/transport-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshot, startWorld, type World } from '../support/world.js';
import { WireSocket } from '../support/wire.js';

let w: World | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

describe('max frame size', () => {
  it(`closes with 1009 above the default ${DEFAULT_WS_LIMITS.maxFrameBytes} bytes; a frame at the limit is answered`, async () => {
    w = await startWorld(['ana', 'ben']);
    const ana = await w.socket('ana');
    const dm = await ana.ok<{ id: string }>('openDirect', { userId: 'ben' });
    const before = await snapshot(w.chat, w.users);
    // exactly maxFrameBytes: parsed and answered (INVALID: the text is over the engine's 4096 limit)
    const head = JSON.stringify({ id: 1, op: 'send', params: { conversationId: dm.id, clientId: 'big', text: '' } });
    const fill = 'x'.repeat(DEFAULT_WS_LIMITS.maxFrameBytes - Buffer.byteLength(head));
    const atLimit = head.replace('"text":""', `"text":"${fill}"`);
    expect(Buffer.byteLength(atLimit)).toBe(DEFAULT_WS_LIMITS.maxFrameBytes);
    ana.sendRaw(atLimit);
    expect(await ana.until(() => ana.replies.find((r) => r.id === 1))).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    // one byte more closes the connection
    ana.sendRaw(atLimit.replace('"text":"', '"text":"y'));
    expect(await ana.closed).toBe(CLOSE_CODES.TOO_LARGE);
    expect(await snapshot(w.chat, w.users)).toBe(before);
  });

  it('a configured lower limit applies the same way, with multi-byte text counted in bytes', async () => {
    w = await startWorld(['ana'], { limits: { maxFrameBytes: 1024 } });
    const ana = await w.socket('ana');
    ana.sendRaw(JSON.stringify({ id: 1, op: 'updateProfile', params: { statusText: '€'.repeat(400) } })); // ~1.2 KB in UTF-8
    expect(await ana.closed).toBe(CLOSE_CODES.TOO_LARGE);
    expect((await w.chat.as('ana').me({})).statusText).toBeNull();
  });
});

describe('rate limits', () => {
  it('answers RATE_LIMITED (with retryAfterMs) past the burst, executes none of the refused requests, then closes 4029 on a flood', async () => {
    // a refill of one token per 100 s: on a stalled machine the flood may take seconds to arrive,
    // and the burst must still be the only thing that gets through
    w = await startWorld(['ana', 'ben'], { limits: { ratePerSecond: 0.01, rateBurst: 5, floodCloseAfter: 20 } });
    const ana = await w.socket('ana');
    const dm = await w.chat.as('ana').openDirect({ userId: 'ben' });
    for (let i = 0; i < 60; i++) ana.sendRaw(JSON.stringify({ id: i + 1, op: 'send', params: { conversationId: dm.id, clientId: `f${i}`, text: `flood ${i}` } }));
    expect(await ana.closed).toBe(CLOSE_CODES.POLICY_VIOLATION);
    const replies = ana.replies.filter((r) => typeof r.id === 'number');
    const ok = replies.filter((r) => r.ok);
    const limited = replies.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED');
    expect(ok.length).toBe(5);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) if (!r.ok) expect(r.error.retryAfterMs).toBeGreaterThan(0);
    // only the accepted sends exist
    const { events } = await w.chat.as('ben').history({ conversationId: dm.id, limit: 200 });
    expect(events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message.clientId : null)).sort()).toEqual(
      ok.map((r) => `f${Number(r.id) - 1}`).sort(),
    );
  });

  it('a client that waits out retryAfterMs keeps its connection and gets served', async () => {
    w = await startWorld(['ana'], { limits: { ratePerSecond: 20, rateBurst: 2, floodCloseAfter: 3 } });
    const ana = await w.socket('ana');
    let served = 0;
    let limitedSeen = 0;
    for (let i = 0; i < 40 && served < 10; i++) {
      const r = await ana.request('me', {});
      if (r.ok) served++;
      else {
        expect(r.error.code).toBe('RATE_LIMITED');
        limitedSeen++;
        await new Promise((resolve) => setTimeout(resolve, r.error.retryAfterMs ?? 100));
      }
    }
    expect(served).toBe(10);
    expect(limitedSeen, 'the limit was reached at all').toBeGreaterThan(0);
    expect(ana.closeCode).toBeNull();
  });

  it('limits apply per connection: a flooding socket does not slow another user', async () => {
    w = await startWorld(['ana', 'ben'], { limits: { ratePerSecond: 5, rateBurst: 5, floodCloseAfter: 10 } });
    const ana = await w.socket('ana');
    const ben = await w.socket('ben');
    for (let i = 0; i < 30; i++) ana.sendRaw(JSON.stringify({ id: i + 1, op: 'me', params: {} }));
    expect(await ana.closed).toBe(CLOSE_CODES.POLICY_VIOLATION);
    expect((await ben.request('me', {})).ok).toBe(true);
  });
});

describe('per-user connection caps', () => {
  it('the connection past maxConnectionsPerUser gets FORBIDDEN and close 4008; other users are unaffected; a freed slot is reusable', async () => {
    w = await startWorld(['ana', 'ben'], { limits: { maxConnectionsPerUser: 3 } });
    const first = [await w.socket('ana'), await w.socket('ana'), await w.socket('ana')];
    const extra = new WireSocket(w.host.url, { token: w.host.token('ana') });
    expect(await extra.closed).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    expect(extra.replies.find((r) => r.id === 'auth')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(extra.pushes.some((p) => p.ev === 'ready')).toBe(false);
    await w.socket('ben');
    for (const s of first) expect((await s.request('me', {})).ok).toBe(true);
    first[0]!.close();
    await first[0]!.closed;
    await w.host.ws!.connections; // settle
    const again = await (async () => {
      for (let i = 0; i < 50; i++) {
        const s = new WireSocket(w!.host.url, { token: w!.host.token('ana') });
        const r = await Promise.race([s.ready().then(() => true), s.closed.then(() => false)]);
        if (r) return s;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('the freed slot was never reusable');
    })();
    expect((await again.request('me', {})).ok).toBe(true);
  });
});

describe('idle timeouts', () => {
  it('a socket that answers no pings and sends nothing is closed 4010; a quiet but healthy one stays', async () => {
    w = await startWorld(['ana', 'ben'], { limits: { heartbeatIntervalMs: 100, idleTimeoutMs: 400 } });
    const healthy = await w.socket('ben');
    const silent = new WebSocket(w.host.url, [SUBPROTOCOL], { autoPong: false });
    const code = new Promise<number>((resolve) => silent.once('close', (c) => resolve(c)));
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('open', resolve));
    silent.send(JSON.stringify({ id: 'auth', op: 'auth', params: { token: w.host.token('ana') } }));
    const started = Date.now();
    expect(await code).toBe(CLOSE_CODES.IDLE_TIMEOUT);
    expect(Date.now() - started).toBeLessThan(400 + 100 + 1000);
    expect(healthy.closeCode).toBeNull();
    expect((await healthy.request('me', {})).ok).toBe(true);
  });

  it('a socket that never authenticates is closed 4001 after authTimeoutMs', async () => {
    w = await startWorld(['ana'], { limits: { authTimeoutMs: 200 } });
    const s = new WireSocket(w.host.url);
    expect(await s.opened).toBe(true);
    expect(await s.closed).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });
});

import { createServer } from 'node:http';
import { createChat, createMemoryStore, type ChatStore } from '@parley/core';
import { CLOSE_CODES, SUBPROTOCOL } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWsServer } from '../src/index.js';
import { createRecordingLogger, sleep, startHarness, TestClient, upgradeStatus, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('authentication', () => {
  it('a bad token gets UNAUTHENTICATED, then close 4001', async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, { auth: 'frame', token: 'forged' });
    expect(await c.authReply()).toMatchObject({ id: 'auth', ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });

  it('any other op before auth gets UNAUTHENTICATED, then close 4001', async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, { auth: 'none' });
    c.sendJson({ id: 1, op: 'me' });
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHENTICATED);
    expect(c.orphans[0]).toMatchObject({ id: 1, ok: false, error: { code: 'UNAUTHENTICATED' } });
  });

  it('garbage before auth closes 4001', async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, { auth: 'none' });
    c.sendRaw('{nope');
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });

  it('no auth within authTimeoutMs closes 4001', async () => {
    h = await startHarness({ limits: { authTimeoutMs: 100 } });
    const c = await TestClient.open(h.url, { auth: 'none' });
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });

  it('a bad subprotocol token closes 4001', async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, { auth: 'protocol', token: 'forged' });
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });

  it('refuses upgrades without parley.v1, with a token in the URL, or on another path', async () => {
    h = await startHarness();
    expect(await upgradeStatus(h.url, { protocols: ['chat'] })).toBe(400);
    expect(await upgradeStatus(h.url, { protocols: [] })).toBe(400);
    expect(await upgradeStatus(`${h.url}?token=tok-ana`)).toBe(400);
    expect(await upgradeStatus(h.url.replace('/parley', '/other'))).toBe(404);
  });

  it('a user id the engine rejects closes 4001', async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, { auth: 'frame', token: 'tok- bad id with spaces' });
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });
});

describe('origin allowlist', () => {
  it('rejects other origins with 403, accepts listed ones and non-browser clients', async () => {
    h = await startHarness({ origins: ['http://allowed.test'] });
    expect(await upgradeStatus(h.url, { headers: { origin: 'http://evil.test' } })).toBe(403);
    await h.connect('ana', { headers: { origin: 'http://allowed.test' } });
    await h.connect('ben');
  });

  it('can require an Origin and accepts a predicate', async () => {
    h = await startHarness({ origins: (o) => o.endsWith('.example.com'), limits: { allowMissingOrigin: false } });
    expect(await upgradeStatus(h.url)).toBe(403);
    expect(await upgradeStatus(h.url, { headers: { origin: 'https://evil.com' } })).toBe(403);
    await h.connect('ana', { headers: { origin: 'https://app.example.com' } });
  });
});

describe('limits', () => {
  it('answers over-rate requests with RATE_LIMITED and retryAfterMs, and keeps the connection', async () => {
    h = await startHarness({ limits: { ratePerSecond: 5, rateBurst: 5 } });
    const c = await h.connect('ana');
    const replies = await Promise.all(Array.from({ length: 10 }, () => c.raw('ping', {})));
    const limited = replies.filter((r) => !r.ok);
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(limited[0]).toMatchObject({ error: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
    await sleep(400);
    expect(await c.request('ping', {})).toEqual({ now: expect.any(Number) });
  });

  it('closes a further connection of a user at the cap with 4008', async () => {
    h = await startHarness({ limits: { maxConnectionsPerUser: 2 } });
    await h.connect('ana');
    await h.connect('ana');
    const third = await TestClient.open(h.url, { auth: 'frame', token: 'tok-ana' });
    expect((await third.closed).code).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    await h.connect('ben');
  });

  it('closes a slow consumer with 4011 and keeps serving the others', async () => {
    const log = createRecordingLogger();
    h = await startHarness({ limits: { maxBufferedBytes: 64 * 1024, closeTimeoutMs: 300 }, logger: log.logger, chat: { limits: { maxTextLength: 8000 } } });
    const slow = await h.connect('ana');
    const fast = await h.connect('ana');
    const dm = await h.chat.as('ben').openDirect({ userId: 'ana' });
    await fast.waitFor((p) => p.ev === 'event');
    slow.socket.pause();
    const text = 'x'.repeat(7900);
    let sent = 0;
    while (!log.lines.some((l) => l.message === 'slow consumer') && sent < 5000) {
      await h.chat.as('ben').send({ conversationId: dm.id, clientId: `m${sent}`, text });
      sent++;
      await new Promise((r) => setImmediate(r)); // let the healthy client read
    }
    expect(log.lines.some((l) => l.message === 'slow consumer')).toBe(true);
    expect(log.lines.find((l) => l.message === 'closing connection')).toMatchObject({ fields: { code: CLOSE_CODES.SLOW_CONSUMER } });
    // the server drops the connection (close frame, then TCP after closeTimeoutMs) without waiting for the client
    await fast.until(() => (h!.server.connections === 1 ? true : undefined), 5000);
    expect(fast.socket.readyState).toBe(WebSocket.OPEN);
    await fast.until(() => (fast.events(dm.id).length === sent + 1 ? true : undefined), 10_000);
    expect(await fast.request('ping', {})).toEqual({ now: expect.any(Number) });
  });

  it('closes a client that stops answering heartbeats with 4010; healthy clients stay', async () => {
    h = await startHarness({ limits: { heartbeatIntervalMs: 50, idleTimeoutMs: 200 } });
    const mute = await h.connect('ana', { ws: { autoPong: false } });
    const healthy = await h.connect('ben');
    expect((await mute.closed).code).toBe(CLOSE_CODES.IDLE_TIMEOUT);
    await sleep(300);
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('re-validates sessions and closes revoked ones with 4003', async () => {
    const revoked = new Set<string>();
    h = await startHarness({ limits: { revalidateIntervalMs: 50 }, revalidate: ({ userId, token }) => token === `tok-${userId}` && !revoked.has(userId) });
    const ana = await h.connect('ana');
    const ben = await h.connect('ben');
    await sleep(120);
    revoked.add('ana');
    expect((await ana.closed).code).toBe(CLOSE_CODES.SESSION_REVOKED);
    expect(ben.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('shutdown and embedding', () => {
  it('lets in-flight requests finish, then closes every socket with 1001', async () => {
    const inner = createMemoryStore();
    const slowStore = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'listContacts' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await sleep(200);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as ChatStore;
    h = await startHarness({ store: slowStore });
    const a = await h.connect('ana');
    const b = await h.connect('ben');
    const pending = a.raw('listContacts', {});
    await sleep(20);
    const closing = h.server.close();
    expect(await pending).toMatchObject({ ok: true, result: [] });
    expect((await a.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
    expect((await b.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
    await closing;
    expect(h.server.connections).toBe(0);
    await expect(TestClient.open(h.url, { auth: 'none' })).rejects.toThrow();
  });

  it('attaches to an existing http.Server without touching its other routes and upgrades', async () => {
    const http = createServer((_req, res) => res.end('app'));
    http.on('upgrade', (req, socket) => {
      if (req.url === '/other') socket.end('HTTP/1.1 418 I am a teapot\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const chat = createChat({ store: createMemoryStore() });
    await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    const ws = await createWsServer({ chat, server: http, path: '/chat', origins: '*', authenticate: ({ token }) => (token === 't' ? 'ana' : null) });
    const port = (http.address() as { port: number }).port;
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
      expect(await upgradeStatus(`ws://127.0.0.1:${port}/other`)).toBe(418);
      const c = await TestClient.open(`ws://127.0.0.1:${port}/chat`, { auth: 'frame', token: 't' });
      await c.ready;
      expect(await c.request('me')).toMatchObject({ id: 'ana' });
      expect(c.socket.protocol).toBe(SUBPROTOCOL);
      expect(ws.connections).toBe(1);
    } finally {
      await ws.close();
      await new Promise((r) => http.close(r));
    }
  });
});

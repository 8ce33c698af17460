import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createChat, createMemoryStore } from '@parley/core';
import { CLOSE_CODES, SUBPROTOCOL } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWsServer } from '../src/index.js';
import { sleep, startHarness, upgradeStatus, type Harness, type TestClient } from './helpers.js';

describe('docs/protocol.md answers, as documented', () => {
  let h: Harness;
  let ben: TestClient;
  let dmId: string;

  beforeAll(async () => {
    h = await startHarness({ chat: { limits: { maxTextLength: 100 } } });
    ben = await h.connect('ben');
    dmId = (await h.chat.as('ben').openDirect({ userId: 'ana' })).id;
  });
  afterAll(() => h.close());

  it('an unknown key in params is reported at its own path, not "(root)"', async () => {
    const reply = await ben.raw('me', { as: 'ana' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID', issues: [{ path: 'as' }] } });
    const two = await ben.raw('markRead', { conversationId: dmId, seq: 1, colour: 'red', x: 1 });
    expect(two).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(!two.ok && two.error.issues?.map((i) => i.path)).toEqual(['colour', 'x']);
    expect(!two.ok && two.error.message).toContain('colour');
  });

  it('an unknown key in the envelope is reported at its own path too', async () => {
    ben.sendJson({ id: 'env', op: 'me', params: {}, admin: true });
    const reply = await ben.until(() => ben.orphans.find((r) => r.id === 'env'));
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID', issues: [{ path: 'admin' }] } });
  });

  it('a field over a limit answers INVALID (never TOO_LARGE), with the field as path for schema caps', async () => {
    const engineCap = await ben.raw('send', { conversationId: dmId, clientId: 'l1', text: 'x'.repeat(101) });
    expect(engineCap).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    const schemaCap = await ben.raw('send', { conversationId: dmId, clientId: 'l2', text: 'ok', metadata: { blob: 'x'.repeat(17 * 1024) } });
    expect(schemaCap).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(!schemaCap.ok && schemaCap.error.issues?.[0]?.path).toMatch(/^metadata/);
  });

  it('a frame over maxFrameBytes gets no reply: the connection closes with 1009', async () => {
    const c = await h.connect('cat');
    const repliesBefore = c.replies;
    c.sendRaw(JSON.stringify({ id: 'big', op: 'me', params: { pad: 'x'.repeat(70 * 1024) } }));
    expect((await c.closed).code).toBe(CLOSE_CODES.TOO_LARGE);
    expect(c.replies).toBe(repliesBefore);
  });

  it('an upgrade to another path on a server Parley owns answers 404', async () => {
    expect(await upgradeStatus(h.url.replace('/parley', '/elsewhere'))).toBe(404);
  });
});

describe('upgrade to another path on an attached server', () => {
  it('is left to the host: other upgrade handlers get it, Parley writes nothing', async () => {
    const http = createServer();
    const seen: string[] = [];
    const unanswered: Array<{ destroy(): void }> = [];
    http.on('upgrade', (req, socket) => {
      if (req.url === '/parley') return;
      seen.push(req.url ?? '');
      unanswered.push(socket);
      if (req.url === '/host-ws') socket.end('HTTP/1.1 418 Teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const chat = createChat({ store: createMemoryStore() });
    const ws = await createWsServer({ chat, server: http, origins: '*', authenticate: () => 'ana' });
    const port = (http.address() as AddressInfo).port;
    try {
      expect(await upgradeStatus(`ws://127.0.0.1:${port}/host-ws`)).toBe(418);
      // no handler of the host answers /nobody: Parley must not answer it either
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d) => (received += d.toString()));
      socket.on('error', () => {});
      socket.write(
        `GET /nobody HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ${SUBPROTOCOL}\r\n\r\n`,
      );
      await sleep(300);
      expect(received).toBe('');
      expect(seen).toEqual(['/host-ws', '/nobody']);
      socket.destroy();
    } finally {
      for (const s of unanswered) s.destroy();
      await ws.close();
      await chat.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});

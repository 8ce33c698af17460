import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { SUBPROTOCOL } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createWsServer, type WsServer } from '../src/index.js';
import { createRecordingLogger } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function start(options: { attached?: Server; handshakeTimeoutMs?: number; authenticate?: () => Promise<string | null> }): Promise<{ ws: WsServer; port: number; chat: Chat }> {
  const chat = createChat({ store: createMemoryStore() });
  const ws = await createWsServer({
    chat,
    ...(options.attached ? { server: options.attached } : { port: 0 }),
    origins: '*',
    limits: options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs },
    authenticate: options.authenticate ?? (() => 'ana'),
  });
  cleanup.push(() => chat.close(), () => ws.close());
  const address = (options.attached?.address() ?? ws.address()) as AddressInfo;
  return { ws, port: address.port, chat };
}

/** Open a raw TCP socket, write `text`, and resolve with how long the server took to close it and what it answered. */
function rawExchange(port: number, text: string, giveUpMs: number): Promise<{ closedAfterMs: number | null; answer: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: null, answer });
    }, giveUpMs);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
  });
}

const upgradeHead = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ${SUBPROTOCOL}\r\n`;

describe('handshake timeouts (Parley owns the server)', () => {
  it('a socket that sends half an upgrade request is closed within handshakeTimeoutMs (+1 s check interval)', async () => {
    const { port } = await start({ handshakeTimeoutMs: 500 });
    const half = upgradeHead('/parley').slice(0, 60); // the request line and part of the headers, never the blank line
    const r = await rawExchange(port, half, 4000);
    expect(r.closedAfterMs).not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(2500);
  });

  it('a socket that connects and sends nothing is closed within the same bound', async () => {
    const { port } = await start({ handshakeTimeoutMs: 500 });
    const r = await rawExchange(port, '', 4000);
    expect(r.closedAfterMs).not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(2500);
  });

  it('the default bound is 5 s', async () => {
    const { ws } = await start({});
    expect(ws.limits.handshakeTimeoutMs).toBe(5000);
  });
});

describe('handshake timeouts (any server)', () => {
  it('an upgrade whose authenticate hook never answers is dropped after handshakeTimeoutMs', async () => {
    const http = createServer();
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => http.close(() => r())));
    const { port } = await start({ attached: http, handshakeTimeoutMs: 400, authenticate: () => new Promise<never>(() => {}) });
    const r = await rawExchange(port, `${upgradeHead('/parley')}\r\n`, 4000);
    expect(r.closedAfterMs).not.toBeNull();
    expect(r.closedAfterMs!).toBeGreaterThanOrEqual(350);
    expect(r.closedAfterMs!).toBeLessThan(1500);
  });
});

describe('attached server with Node\'s default timeouts', () => {
  it('gets a warning naming headersTimeout; a server with a tight one does not', async () => {
    const chat = createChat({ store: createMemoryStore() });
    cleanup.push(() => chat.close());
    const warned = async (server: Server) => {
      const log = createRecordingLogger();
      const ws = await createWsServer({ chat, server, origins: '*', authenticate: () => 'ana', logger: log.logger });
      await ws.close();
      return log.lines.some((l) => l.level === 'warn' && l.message.includes('headersTimeout'));
    };
    expect(await warned(createServer())).toBe(true);
    expect(await warned(createServer({ headersTimeout: 5_000, requestTimeout: 10_000 }))).toBe(false);
  });
});

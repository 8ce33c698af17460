import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createChat, createMemoryStore, type Chat, type ChatOptions } from '@parley/core';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import { WebSocket } from 'ws';
import { createClient, type AttachableCache, type ClientOptions, type ParleyClient } from '../src/index.js';

/** A real Parley server (in-memory store) on 127.0.0.1, restartable on the same port. */
export class TestServer {
  readonly chat: Chat;
  /** token -> userId; delete a token to make it expire. */
  readonly tokens = new Map<string, string>();
  port = 0;
  #http: Server | null = null;
  #ws: WsServer | null = null;
  /** Server-side TCP sockets by the `device` query parameter of the upgrade URL. */
  readonly #sockets = new Map<string, Socket>();

  /** `options` replace parts of the default engine (in-memory store and bus), e.g. to inject delays. */
  constructor(options: Partial<ChatOptions> = {}) {
    this.chat = createChat({ store: createMemoryStore(), ...options });
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/parley`;
  }

  async start(): Promise<void> {
    const http = createServer();
    http.on('upgrade', (req, socket: Socket) => {
      const device = new URL(req.url ?? '/', 'http://x').searchParams.get('device');
      if (device) this.#sockets.set(device, socket);
    });
    this.#ws = await createWsServer({
      chat: this.chat,
      server: http,
      path: '/parley',
      origins: '*',
      authenticate: ({ token }) => (token === undefined ? null : (this.tokens.get(token) ?? null)),
      limits: { drainTimeoutMs: 200, closeTimeoutMs: 200 }, // default rate limits: the client must live with them
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
    this.#http = http;
  }

  /** Cut a device's TCP connection without a close frame (what a dead network looks like). */
  kill(device: string): void {
    this.#sockets.get(device)?.destroy();
  }

  /** Graceful close (1001 to every client) and stop listening. */
  async stop(): Promise<void> {
    await this.#ws?.close();
    for (const s of this.#sockets.values()) s.destroy();
    await new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve()));
    this.#ws = null;
    this.#http = null;
  }

  requestResume(reason: string): void {
    this.#ws?.requestResume(reason);
  }
}

/**
 * Set by a test file to give every `device()` an offline cache (with `userId`, so it is restored
 * at creation): one per server and device name, kept across clients of that device.
 */
export const deviceDefaults: { cacheFor?: (key: string) => AttachableCache } = {};

/** A client for `device` of `userId` over the real `ws` WebSocket. */
export function device(server: TestServer, userId: string, name: string, extra: Partial<ClientOptions> = {}): ParleyClient {
  const token = `${name}-token`;
  server.tokens.set(token, userId);
  const cached = deviceDefaults.cacheFor ? { cache: deviceDefaults.cacheFor(`${server.url}|${name}`), userId, cacheDelayMs: 20 } : {};
  return createClient({
    url: `${server.url}?device=${name}`,
    ...(extra.getToken ? {} : { token }),
    WebSocket: WebSocket as unknown as ClientOptions['WebSocket'],
    window: null,
    reconnect: { baseMs: 50, capMs: 400 },
    ...cached,
    ...extra,
  });
}

/** A request frame as a client sent it. */
export interface SentFrame {
  op: string;
  params?: Record<string, unknown> & { receipts?: unknown[] };
}

/** A `ws` WebSocket that records every request frame it sends. */
export function recordingWebSocket(sent: SentFrame[]): ClientOptions['WebSocket'] {
  class Recording extends WebSocket {
    override send(data: string): void {
      sent.push(JSON.parse(data) as SentFrame);
      super.send(data);
    }
  }
  return Recording as unknown as ClientOptions['WebSocket'];
}

/** Poll until `check` stops throwing (or returns true); rethrow its last error on timeout. */
export async function until(check: () => unknown, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const r = await check();
      if (r !== false) return;
      last = new Error('condition is false');
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What a device holds for a conversation, in a shape comparable with the server's history. */
export function heldMessages(client: ParleyClient, conversationId: string) {
  return client.messages(conversationId).getSnapshot().messages.map((m) => ({
    seq: m.seq, senderId: m.senderId, text: m.text, clientId: m.clientId, editedAt: m.editedAt, deletedAt: m.deletedAt, reactions: m.reactions, pinned: m.pinned,
  }));
}

/** The same, read from the server as `userId`. */
export async function serverMessages(chat: Chat, userId: string, conversationId: string) {
  const { events } = await chat.as(userId).history({ conversationId, limit: 200 });
  return events.flatMap((e) =>
    e.type === 'message'
      ? [{ seq: e.message.seq, senderId: e.message.senderId, text: e.message.text, clientId: e.message.clientId, editedAt: e.message.editedAt, deletedAt: e.message.deletedAt, reactions: e.message.reactions, pinned: e.message.pinned }]
      : [],
  );
}

/** Inbox rows a device holds vs the server's, as comparable objects. */
export function heldInbox(client: ParleyClient) {
  return client.inbox.getSnapshot().items.map((e) => ({ id: e.conversation.id, lastSeq: e.conversation.lastSeq, unread: e.unread, readSeq: e.member.readSeq, last: e.conversation.lastMessage }));
}

export async function serverInbox(chat: Chat, userId: string) {
  const { items } = await chat.as(userId).inbox({ limit: 200 });
  return items.map((e) => ({ id: e.conversation.id, lastSeq: e.conversation.lastSeq, unread: e.unread, readSeq: e.member.readSeq, last: e.conversation.lastMessage }));
}

/** Wait until every device's inbox and open conversations equal the server's view of its user. */
export async function converged(server: TestServer, devices: Array<[ParleyClient, string]>, conversations: string[], timeoutMs = 10_000): Promise<void> {
  await until(async () => {
    for (const [client, user] of devices) {
      const { expect } = await import('vitest');
      expect(client.state).toBe('ready');
      expect(client.outbox.getSnapshot()).toEqual([]);
      expect(sortById(heldInbox(client))).toEqual(sortById(await serverInbox(server.chat, user)));
      for (const id of conversations) expect(heldMessages(client, id)).toEqual(await serverMessages(server.chat, user, id));
    }
  }, timeoutMs);
}

function sortById<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
}

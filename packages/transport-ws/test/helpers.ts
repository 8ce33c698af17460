import { createChat, createMemoryPubSub, createMemoryStore, type BusMessage, type Chat, type ChatOptions, type ChatStore, type PubSub } from '@parley/core';
import {
  SUBPROTOCOL,
  type AnyOpName,
  type AnyParamsOf,
  type AnyResultOf,
  type ErrorBody,
  type PushFrame,
  type ReplyFrame,
} from '@parley/protocol';
import WebSocket from 'ws';
import { createWsServer, type WsLimits, type WsServer, type WsServerOptions } from '../src/index.js';

/** A test server: engine + WebSocket server on 127.0.0.1, port 0. */
export interface Harness {
  chat: Chat;
  store: ChatStore;
  server: WsServer;
  url: string;
  clients: TestClient[];
  /** Connect a client as `userId` (token in the first frame by default) and wait for `ready`. */
  connect(userId: string, options?: Partial<ConnectOptions>): Promise<TestClient>;
  close(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  limits?: Partial<WsLimits>;
  origins?: WsServerOptions['origins'];
  revalidate?: WsServerOptions['revalidate'];
  store?: ChatStore;
  chat?: Partial<ChatOptions>;
  users?: string[];
  logger?: WsServerOptions['logger'];
  rateLimiter?: WsServerOptions['rateLimiter'];
}

/** Tokens are `tok-<userId>`; the `x-test-user` header authenticates at the upgrade. */
export const tokenOf = (userId: string): string => `tok-${userId}`;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const store = options.store ?? createMemoryStore();
  const chat = createChat({ store, ...options.chat });
  for (const id of options.users ?? ['ana', 'ben', 'cat']) await chat.upsertUser({ id, displayName: id.toUpperCase() });
  const server = await createWsServer({
    chat,
    port: 0,
    path: '/parley',
    origins: options.origins ?? ['http://allowed.test'],
    limits: options.limits ?? {},
    ...(options.revalidate ? { revalidate: options.revalidate } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
    authenticate: ({ token, request }) => {
      if (token !== undefined) return token.startsWith('tok-') ? token.slice(4) : null;
      const header = request.headers['x-test-user'];
      return typeof header === 'string' ? header : null;
    },
  });
  const url = `ws://127.0.0.1:${server.address()!.port}/parley`;
  const clients: TestClient[] = [];
  return {
    chat,
    store,
    server,
    url,
    clients,
    async connect(userId, connectOptions) {
      const client = await TestClient.open(url, { auth: 'frame', token: tokenOf(userId), ...connectOptions });
      clients.push(client);
      await client.ready;
      return client;
    },
    async close() {
      for (const c of clients) c.terminate();
      await server.close();
      await chat.close();
    },
  };
}

/** How a {@link TestClient} authenticates. */
export interface ConnectOptions {
  auth: 'frame' | 'protocol' | 'header' | 'none';
  token: string;
  protocols: string[];
  headers: Record<string, string>;
  /** Extra ws client options (e.g. `autoPong: false`). */
  ws: WebSocket.ClientOptions;
}

/** A failed reply, thrown by {@link TestClient.request}. */
export class WireError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.code}: ${body.message}`);
  }
}

/** A small typed client speaking parley.v1, recording every push. */
export class TestClient {
  readonly pushes: PushFrame[] = [];
  /** Replies whose id was null (frames the server could not parse). */
  readonly orphans: ReplyFrame[] = [];
  /** Every reply frame received, matched or not. */
  replies = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ready: Promise<void>;
  #nextId = 1;
  readonly #waiting = new Map<string | number, (reply: ReplyFrame) => void>();
  readonly #watchers = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ready = new Promise((resolve, reject) => {
      const onReady = () => {
        if (this.pushes.some((p) => p.ev === 'ready')) {
          this.#watchers.delete(onReady);
          resolve();
        }
      };
      this.#watchers.add(onReady);
      void this.closed.then((c) => reject(new Error(`closed ${c.code} ${c.reason} before ready`)));
    });
    this.ready.catch(() => {});
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ReplyFrame | PushFrame;
      if ('ev' in frame) {
        this.pushes.push(frame);
        for (const w of [...this.#watchers]) w();
        return;
      }
      this.replies++;
      const resolve = frame.id === null ? undefined : this.#waiting.get(frame.id);
      if (resolve && frame.id !== null) {
        this.#waiting.delete(frame.id);
        resolve(frame);
      } else this.orphans.push(frame);
      for (const w of [...this.#watchers]) w();
    });
  }

  /** Open a socket; resolves once the WebSocket is open (not yet authenticated). */
  static async open(url: string, options: Partial<ConnectOptions> = {}): Promise<TestClient> {
    const auth = options.auth ?? 'frame';
    const protocols = options.protocols ?? [SUBPROTOCOL];
    if (auth === 'protocol' && options.token) protocols.push(`parley.token.${Buffer.from(options.token).toString('base64url')}`);
    const headers = { ...options.headers };
    if (auth === 'header' && options.token) headers['x-test-user'] = options.token.slice(4);
    const socket = new WebSocket(url, protocols, { headers, ...options.ws });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    socket.on('error', () => {});
    if (auth === 'frame' && options.token) client.sendJson({ id: 'auth', op: 'auth', params: { token: options.token } });
    return client;
  }

  /** Send a request and return its result; throws {@link WireError} on an error reply. */
  async request<K extends AnyOpName>(op: K, params?: AnyParamsOf<K>): Promise<AnyResultOf<K>> {
    const reply = await this.raw(op, params);
    if (!reply.ok) throw new WireError(reply.error);
    return reply.result as AnyResultOf<K>;
  }

  /** Send a request with any op and params and return the reply frame. */
  raw(op: string, params?: unknown): Promise<ReplyFrame> {
    const id = this.#nextId++;
    const reply = new Promise<ReplyFrame>((resolve, reject) => {
      this.#waiting.set(id, resolve);
      void this.closed.then((c) => reject(new Error(`closed ${c.code} before reply to ${op}`)));
    });
    this.sendJson(params === undefined ? { id, op } : { id, op, params });
    return reply;
  }

  /** The reply to the `auth` frame sent by `open`. */
  authReply(): Promise<ReplyFrame> {
    const early = this.orphans.find((f) => f.id === 'auth');
    if (early) return Promise.resolve(early);
    return new Promise((resolve) => this.#waiting.set('auth', resolve));
  }

  sendJson(value: unknown): void {
    this.socket.send(JSON.stringify(value));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** Wait until a push matching `predicate` arrived (already received ones count). */
  waitFor<P extends PushFrame>(predicate: (p: PushFrame) => p is P, timeoutMs?: number): Promise<P>;
  waitFor(predicate: (p: PushFrame) => boolean, timeoutMs?: number): Promise<PushFrame>;
  waitFor(predicate: (p: PushFrame) => boolean, timeoutMs = 3000): Promise<PushFrame> {
    return this.until(() => this.pushes.find(predicate), timeoutMs);
  }

  /** Wait until `probe` returns something defined (checked on every frame and every 20 ms). */
  until<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
    const failure = new Error('timed out waiting');
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        cleanup();
        resolve(v);
      };
      const timer = setInterval(check, 20);
      const timeout = setTimeout(() => {
        cleanup();
        reject(failure);
      }, timeoutMs);
      const cleanup = () => {
        clearInterval(timer);
        clearTimeout(timeout);
        this.#watchers.delete(check);
      };
      this.#watchers.add(check);
      check();
    });
  }

  /** Conversation events pushed to this client. */
  events(conversationId?: string) {
    return this.pushes.flatMap((p) => (p.ev === 'event' && (!conversationId || p.event.conversationId === conversationId) ? [p.event] : []));
  }

  close(): void {
    this.socket.close();
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** Resolve after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Plain HTTP status of an upgrade attempt that is expected to fail. */
export function upgradeStatus(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [SUBPROTOCOL], { headers: options.headers ?? {} });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('upgrade unexpectedly succeeded'));
    });
    socket.once('error', () => {});
  });
}

/** An in-memory bus that can lose messages on purpose and announce resets. */
export function createFaultyPubSub(): PubSub & { drop: ((topic: string, message: BusMessage) => boolean) | null; reset(reason: string): void } {
  const inner = createMemoryPubSub();
  const listeners = new Set<(reason: string) => void>();
  const bus = {
    drop: null as ((topic: string, message: BusMessage) => boolean) | null,
    publish(topic: string, message: BusMessage) {
      if (bus.drop?.(topic, message)) return Promise.resolve();
      return inner.publish(topic, message);
    },
    subscribe: inner.subscribe.bind(inner),
    onReset(listener: (reason: string) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    reset(reason: string) {
      for (const l of listeners) l(reason);
    },
  };
  return bus;
}

/** A logger that records messages and fields (to check what gets logged). */
export function createRecordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** What users ana, ben and cat can see, without volatile fields (cursors, lastSeenAt): equal before and after an attack. */
export async function snapshot(chat: Chat, users: string[] = ['ana', 'ben', 'cat']): Promise<string> {
  const out: unknown[] = [];
  for (const u of users) {
    const s = chat.as(u);
    const sync = await s.sync({});
    out.push(u, sync.entries, sync.contacts, await s.me(), await s.listChannels({}));
    for (const e of sync.entries) out.push(await s.history({ conversationId: e.conversation.id, after: 0, all: true, limit: 200 }));
  }
  return JSON.stringify(out, (key, value: unknown) => (key === 'lastSeenAt' || key === 'cursor' ? undefined : value));
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from './client.js';
import type { WebSocketLike } from './transport.js';

/** A scripted socket: records frames, lets the test play the server. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  protocol = 'parley.v1';
  sent: Array<{ id: number; op: string; params: Record<string, unknown> }> = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  last(op: string) {
    return [...this.sent].reverse().find((f) => f.op === op)!;
  }
  reply(op: string, result: unknown) {
    this.receive({ id: this.last(op).id, ok: true, result });
  }
  /** Play a whole handshake plus an empty resume. */
  async handshake(userId = 'ana') {
    this.open();
    this.reply('auth', { userId, protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    this.reply('sync', { entries: [], contacts: [], cursor: 'c', reset: true });
    await vi.advanceTimersByTimeAsync(0);
  }
}

const WebSocket = FakeSocket as unknown as new (url: string, p?: string | string[]) => WebSocketLike;
const base = { url: 'ws://127.0.0.1:1/parley', WebSocket, window: null, pingIntervalMs: 0, random: () => 0.5 };

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('connection', () => {
  it('offers the subprotocol, sends the token in the first frame (never in the URL), resumes, becomes ready', async () => {
    const client = createClient({ ...base, token: 'secret', autoConnect: false });
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    client.connect();
    const ws = FakeSocket.all[0]!;
    expect(ws.protocols).toBe('parley.v1');
    expect(ws.url).not.toContain('secret');
    ws.open();
    expect(ws.sent[0]).toMatchObject({ op: 'auth', params: { token: 'secret' } });
    ws.reply('auth', { userId: 'ana', protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('sync').params).toEqual({});
    ws.reply('sync', { entries: [], contacts: [], cursor: 'c1', reset: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(['connecting', 'authenticating', 'resuming', 'ready']);
    expect(client.userId).toBe('ana');
    client.close();
    expect(client.state).toBe('closed');
  });

  it('reconnects with backoff after a drop and resumes from the cursor', async () => {
    const client = createClient({ ...base, token: 't', reconnect: { baseMs: 1000, capMs: 8000 } });
    await FakeSocket.all[0]!.handshake();
    FakeSocket.all[0]!.close(1001, 'going away');
    expect(client.state).toBe('offline');
    expect(client.connection.getSnapshot().detail.retryInMs).toBe(500);
    await vi.advanceTimersByTimeAsync(499);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const ws2 = FakeSocket.all[1]!;
    ws2.open();
    ws2.reply('auth', { userId: 'ana', protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws2.last('sync').params).toEqual({ since: 'c' });
    client.close();
  });

  it('grows the delay on repeated failures and resets it after a stable connection', async () => {
    const client = createClient({ ...base, token: 't', reconnect: { baseMs: 1000, capMs: 60_000, stableAfterMs: 5000 } });
    const delays: number[] = [];
    client.on('state', (s, d) => s === 'offline' && delays.push(d.retryInMs!));
    for (let i = 0; i < 4; i++) {
      FakeSocket.all.at(-1)!.close(1006, '');
      await vi.advanceTimersByTimeAsync(delays.at(-1)!);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
    await FakeSocket.all.at(-1)!.handshake();
    await vi.advanceTimersByTimeAsync(6000);
    FakeSocket.all.at(-1)!.close(1006, '');
    expect(delays.at(-1)).toBe(500);
    client.close();
  });

  it('after N reconnects every push reaches each user listener exactly once', async () => {
    const client = createClient({ ...base, token: 't', reconnect: { baseMs: 10, capMs: 10 } });
    const seen: string[] = [];
    client.on('typing', (f) => seen.push(f.userId));
    for (let i = 0; i < 5; i++) {
      await FakeSocket.all.at(-1)!.handshake();
      FakeSocket.all.at(-1)!.close(1006, '');
      await vi.advanceTimersByTimeAsync(10);
    }
    const ws = FakeSocket.all.at(-1)!;
    await ws.handshake();
    ws.receive({ ev: 'typing', conversationId: 'c1', userId: 'ben', typing: true, expiresInMs: 3000 });
    expect(seen).toEqual(['ben']);
    expect(client.listenerCount('typing')).toBe(1);
    expect(client.typing('c1').getSnapshot()).toEqual(['ben']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(client.typing('c1').getSnapshot()).toEqual([]);
    client.close();
  });

  it('rejected token: asks getToken again; a stale socket cannot deliver anything', async () => {
    const tokens = ['old', 'new'];
    const client = createClient({ ...base, getToken: () => tokens.shift()!, reconnect: { baseMs: 10, capMs: 10 } });
    await vi.advanceTimersByTimeAsync(0);
    const ws1 = FakeSocket.all[0]!;
    ws1.open();
    expect(ws1.sent[0]!.params).toEqual({ token: 'old' });
    ws1.receive({ id: ws1.sent[0]!.id, ok: false, error: { code: 'UNAUTHENTICATED', message: 'no' } });
    expect(client.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(10);
    const ws2 = FakeSocket.all[1]!;
    ws2.open();
    expect(ws2.sent[0]!.params).toEqual({ token: 'new' });
    let pushes = 0;
    client.on('push', () => pushes++);
    ws1.receive({ ev: 'typing', conversationId: 'c1', userId: 'ben', typing: true, expiresInMs: 10 });
    expect(pushes).toBe(0);
    client.close();
  });

  it('without getToken a rejected token stops in auth_failed; requests reject by code', async () => {
    const client = createClient({ ...base, token: 'bad' });
    const ws = FakeSocket.all[0]!;
    const pending = client.api.me();
    ws.open();
    ws.close(4001, 'authentication failed');
    expect(client.state).toBe('auth_failed');
    await expect(pending).rejects.toMatchObject({ name: 'ParleyError', code: 'AUTH_FAILED' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('4008 backs off for the penalty; requests time out with TIMEOUT; server errors keep their code', async () => {
    const client = createClient({ ...base, token: 't', requestTimeoutMs: 1000, reconnect: { penaltyMs: 20_000 } });
    await FakeSocket.all[0]!.handshake();
    const ws = FakeSocket.all[0]!;
    const a = client.api.getConversation({ conversationId: 'x' });
    ws.receive({ id: ws.last('getConversation').id, ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    await expect(a).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const b = expect(client.api.me()).rejects.toMatchObject({ code: 'TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1000);
    await b;
    ws.close(4008, 'too many');
    expect(client.connection.getSnapshot().detail.retryInMs).toBeGreaterThanOrEqual(10_000);
    client.close();
  });

  it('browser offline/online: drops at once, reconnects when online without waiting for the timer', async () => {
    const listeners: Record<string, () => void> = {};
    const win = { navigator: { onLine: true }, addEventListener: (t: string, l: () => void) => (listeners[t] = l), removeEventListener: () => {} };
    const client = createClient({ ...base, token: 't', window: win, reconnect: { baseMs: 60_000, capMs: 60_000 } });
    await FakeSocket.all[0]!.handshake();
    win.navigator.onLine = false;
    listeners.offline!();
    expect(client.state).toBe('offline');
    expect(client.connection.getSnapshot().detail.retryInMs).toBeUndefined();
    win.navigator.onLine = true;
    listeners.online!();
    expect(FakeSocket.all).toHaveLength(2);
    client.close();
  });

  it('optimistic send: pending at once, reconciled by clientId when the push beats the reply, retried after reconnect', async () => {
    const client = createClient({ ...base, token: 't', reconnect: { baseMs: 10, capMs: 10 } });
    await FakeSocket.all[0]!.handshake();
    const { clientId, message } = client.send({ conversationId: 'c1', text: 'hi' });
    const view = client.messages('c1');
    expect(view.getSnapshot().messages.map((m) => [m.key, m.status])).toEqual([[clientId, 'sending']]);
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0]!.close(1006, '');
    expect(client.outbox.getSnapshot()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    const ws = FakeSocket.all[1]!;
    await ws.handshake();
    const send = ws.last('send');
    expect(send.params).toMatchObject({ clientId, text: 'hi' });
    const m = { conversationId: 'c1', seq: 2, id: 'm2', senderId: 'ana', kind: 'text', text: 'hi', attachments: [], replyTo: null, mentions: [], reactions: {}, clientId, call: null, metadata: {}, pinned: false, createdAt: 1, editedAt: null, deletedAt: null };
    ws.receive({ ev: 'event', event: { type: 'message', conversationId: 'c1', seq: 2, actorId: 'ana', at: 1, message: m } });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.outbox.getSnapshot()).toHaveLength(0);
    await expect(message).resolves.toMatchObject({ seq: 2, clientId });
    ws.receive({ id: send.id, ok: true, result: m });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.outbox.getSnapshot()).toHaveLength(0);
    client.close();
  });

  it('send: a permanent error fails at once; uncertain errors count to maxSendAttempts; transient ones never do', async () => {
    const client = createClient({ ...base, token: 't', maxSendAttempts: 2 });
    await FakeSocket.all[0]!.handshake();
    const ws = FakeSocket.all[0]!;
    const h = client.send({ conversationId: 'c1', text: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    ws.receive({ id: ws.last('send').id, ok: false, error: { code: 'FORBIDDEN', message: 'blocked' } });
    await expect(h.message).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(client.messages('c1').getSnapshot().messages[0]).toMatchObject({ status: 'failed', error: { code: 'FORBIDDEN' } });
    const again = client.resend(h.clientId);
    expect(again.clientId).toBe(h.clientId);
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('send').params.clientId).toBe(h.clientId);
    // twenty transient failures in a row: still sending, nothing counted
    for (let n = 0; n < 20; n++) {
      const code = n % 2 === 0 ? 'UNAVAILABLE' : 'RATE_LIMITED';
      ws.receive({ id: ws.last('send').id, ok: false, error: { code, message: 'db', ...(code === 'RATE_LIMITED' ? { retryAfterMs: 100 } : {}) } });
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(client.outbox.getSnapshot()[0]).toMatchObject({ status: 'sending', failures: 0 });
    // a TIMEOUT (no reply) is transient too: the in-flight attempt times out and is retried
    const sendCount = () => ws.sent.filter((f) => f.op === 'send').length;
    const nextSend = async () => {
      const n0 = sendCount();
      for (let i = 0; i < 60 && sendCount() === n0; i++) await vi.advanceTimersByTimeAsync(1000);
      expect(sendCount()).toBeGreaterThan(n0);
    };
    await nextSend();
    expect(client.outbox.getSnapshot()[0]).toMatchObject({ status: 'sending', failures: 0 });
    ws.receive({ id: ws.last('send').id, ok: false, error: { code: 'INTERNAL', message: 'bug' } });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.outbox.getSnapshot()[0]).toMatchObject({ status: 'sending', failures: 1 });
    await nextSend();
    ws.receive({ id: ws.last('send').id, ok: false, error: { code: 'INTERNAL', message: 'bug' } });
    await expect(again.message).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(client.outbox.getSnapshot()[0]).toMatchObject({ status: 'failed', failures: 2 });
    client.close();
  });

  it('send: new sends never cut the backoff short; retryAfterMs is honoured; order is kept', async () => {
    const client = createClient({ ...base, token: 't', sendRetry: { baseMs: 1000, capMs: 1000 }, random: () => 0.999 });
    const ws = FakeSocket.all[0]!;
    await ws.handshake();
    const first = client.send({ conversationId: 'c1', text: 'one' });
    await vi.advanceTimersByTimeAsync(0);
    const sends = () => ws.sent.filter((f) => f.op === 'send').map((f) => f.params.text);
    ws.receive({ id: ws.last('send').id, ok: false, error: { code: 'UNAVAILABLE', message: 'db' } });
    await vi.advanceTimersByTimeAsync(0);
    // ten more sends during the backoff (~999 ms): none goes out, and the head is not retried early
    for (let n = 0; n < 10; n++) {
      client.send({ conversationId: 'c1', text: `later ${n}` });
      await vi.advanceTimersByTimeAsync(90);
    }
    expect(sends()).toEqual(['one']);
    await vi.advanceTimersByTimeAsync(200);
    expect(sends()).toEqual(['one', 'one']);
    // the server asks for 5 s: nothing before, the same head after
    ws.receive({ id: ws.last('send').id, ok: false, error: { code: 'UNAVAILABLE', message: 'overloaded', retryAfterMs: 5000 } });
    await vi.advanceTimersByTimeAsync(4990);
    client.send({ conversationId: 'c1', text: 'even later' });
    await vi.advanceTimersByTimeAsync(0);
    expect(sends()).toEqual(['one', 'one']);
    await vi.advanceTimersByTimeAsync(600);
    expect(sends()).toEqual(['one', 'one', 'one']);
    const ack = (text: string, seq: number) => {
      const f = ws.last('send');
      expect(f.params.text).toBe(text);
      ws.receive({ id: f.id, ok: true, result: { conversationId: 'c1', seq, id: `m${seq}`, senderId: 'ana', kind: 'text', text, attachments: [], replyTo: null, mentions: [], reactions: {}, clientId: f.params.clientId, call: null, metadata: {}, pinned: false, createdAt: 1, editedAt: null, deletedAt: null } });
    };
    ack('one', 1);
    await expect(first.message).resolves.toMatchObject({ seq: 1 });
    for (let n = 0; n < 10; n++) {
      await vi.advanceTimersByTimeAsync(0);
      ack(`later ${n}`, n + 2);
    }
    await vi.advanceTimersByTimeAsync(0);
    ack('even later', 12);
    await vi.advanceTimersByTimeAsync(0);
    expect(sends().slice(3)).toEqual([...Array.from({ length: 10 }, (_, n) => `later ${n}`), 'even later']);
    expect(client.outbox.getSnapshot()).toEqual([]);
    client.close();
  });

  it('paged sync: follows nextPage with the same since, contacts from the first page, cursor kept only after the last page', async () => {
    const client = createClient({ ...base, token: 't' });
    let ws = FakeSocket.all[0]!;
    ws.open();
    ws.reply('auth', { userId: 'ana', protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    const contact = { userId: 'ben', alias: null, blocked: false, createdAt: 1, user: null };
    ws.reply('sync', { entries: [], contacts: [contact], cursor: 'c1', reset: true, nextPage: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.state).toBe('ready');
    // reconnect: three pages; the connection drops after the second, so the cursor stays c1
    ws.close(1006, '');
    await vi.advanceTimersByTimeAsync(1000);
    ws = FakeSocket.all[1]!;
    ws.open();
    ws.reply('auth', { userId: 'ana', protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('sync').params).toEqual({ since: 'c1' });
    ws.reply('sync', { entries: [], contacts: [contact], cursor: 'c2', reset: false, nextPage: 'p2' });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('sync').params).toEqual({ since: 'c1', page: 'p2' });
    ws.reply('sync', { entries: [], contacts: [], cursor: 'c2', reset: false, nextPage: 'p3' });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('sync').params).toEqual({ since: 'c1', page: 'p3' });
    ws.close(1006, '');
    await vi.advanceTimersByTimeAsync(1000);
    ws = FakeSocket.all[2]!;
    ws.open();
    ws.reply('auth', { userId: 'ana', protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('sync').params).toEqual({ since: 'c1' });
    ws.reply('sync', { entries: [], contacts: [contact], cursor: 'c2', reset: false, nextPage: 'p2' });
    await vi.advanceTimersByTimeAsync(0);
    ws.reply('sync', { entries: [], contacts: [], cursor: 'c2', reset: false, nextPage: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.state).toBe('ready');
    expect(client.contacts.getSnapshot().map((c) => c.userId)).toEqual(['ben']);
    expect(ws.sent.filter((f) => f.op === 'sync')).toHaveLength(2);
    client.reconnect();
    await vi.advanceTimersByTimeAsync(1000);
    ws = FakeSocket.all[3]!;
    ws.open();
    ws.reply('auth', { userId: 'ana', protocol: 1, serverTime: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.last('sync').params).toEqual({ since: 'c2' });
    client.close();
  });
});

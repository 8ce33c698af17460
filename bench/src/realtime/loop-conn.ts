/**
 * Connections of the end-to-end loops, one interface over both protocols: Parley's JSON frames on
 * `ws` (subprotocol `parley.v1`, token in the subprotocol list) and the home-grown server's
 * Socket.IO events (`send` with an acknowledgement, `message` pushed to the room).
 * Message keys travel as the message text, so a receiver knows which send it got.
 */
import WebSocket from 'ws';
import { io } from 'socket.io-client';

/** The server's answer to a send: ok, or an error code (with `retryAfterMs` when the server said when to retry). */
export interface SendReply {
  ok: boolean;
  code?: string;
  retryAfterMs?: number;
}

/** One user's connection in a loop. */
export interface LoopConn {
  /** Send message `key` (its text) into `conversationId`; `reply` is called with the server's answer. */
  send(conversationId: string, key: string, reply: (r: SendReply) => void): void;
  /** Called with the key of every message pushed to this user. */
  onMessage(fn: (key: string) => void): void;
  close(): void;
}

const PARLEY_REPLY = /^\{"id":"([^"]*)","ok":(true|false)/;
const PARLEY_TEXT = /"text":"(K\d+\.\d+)"/;

function openParley(port: number, user: string): Promise<LoopConn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/parley`, ['parley.v1', `parley.token.${Buffer.from(user).toString('base64url')}`]);
    const waiting = new Map<string, (r: SendReply) => void>();
    let onMessage: (key: string) => void = () => undefined;
    let ready = false;
    let next = 0;
    const conn: LoopConn = {
      send(conversationId, key, reply) {
        const id = `s${next++}`;
        waiting.set(id, reply);
        ws.send(JSON.stringify({ id, op: 'send', params: { conversationId, clientId: key, text: key } }));
      },
      onMessage: (fn) => (onMessage = fn),
      close: () => ws.close(),
    };
    ws.on('error', (e) => (ready ? undefined : reject(e)));
    ws.on('message', (data) => {
      const text = data.toString();
      const r = PARLEY_REPLY.exec(text);
      if (r) {
        const fn = waiting.get(r[1]!);
        waiting.delete(r[1]!);
        if (r[2] === 'true') return fn?.({ ok: true });
        const body = (JSON.parse(text) as { error?: { code?: string; retryAfterMs?: number } }).error ?? {};
        return fn?.({ ok: false, code: body.code ?? 'UNKNOWN', ...(body.retryAfterMs !== undefined ? { retryAfterMs: body.retryAfterMs } : {}) });
      }
      if (!ready && text.startsWith('{"ev":"ready"')) {
        ready = true;
        return resolve(conn);
      }
      if (text.includes('"ev":"event"')) {
        const m = PARLEY_TEXT.exec(text);
        if (m) onMessage(m[1]!);
      }
    });
  });
}

function openHomegrown(port: number, user: string): Promise<LoopConn> {
  return new Promise((resolve, reject) => {
    const s = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { user }, reconnection: false, forceNew: true });
    let onMessage: (key: string) => void = () => undefined;
    const conn: LoopConn = {
      send(chatId, key, reply) {
        s.emit('send', { chatId, text: key }, (r: { ok: boolean; error?: string }) => reply(r.ok ? { ok: true } : { ok: false, code: r.error ?? 'ERROR' }));
      },
      onMessage: (fn) => (onMessage = fn),
      close: () => s.close(),
    };
    s.on('ready', () => resolve(conn));
    s.on('connect_error', reject);
    s.on('message', (m: { content: string }) => onMessage(m.content));
  });
}

/** Open one user's connection to a Parley or home-grown server on 127.0.0.1; resolves once the server said it is ready. */
export function openLoopConn(kind: 'parley' | 'homegrown', port: number, user: string): Promise<LoopConn> {
  return kind === 'parley' ? openParley(port, user) : openHomegrown(port, user);
}

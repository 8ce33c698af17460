import type { AnyOpName, ErrorBody, PushFrame, WireOpResults } from '@parley/protocol';
import { reconnectDelay, type ResolvedBackoff } from './backoff.js';
import { ParleyError } from './errors.js';
import { CLIENT_DROP, CLOSE_CODES, SUBPROTOCOL, type WebSocketConstructor, type WebSocketLike, type WindowLike } from './transport.js';

/**
 * Where the connection is:
 * - `idle`: created, not started;
 * - `connecting`: opening the socket (or fetching a token);
 * - `authenticating`: socket open, `auth` frame sent;
 * - `resuming`: authenticated, catching up (sync, gaps, outbox);
 * - `ready`: caught up; requests flow;
 * - `offline`: disconnected, waiting to reconnect (timer, or the browser going online);
 * - `auth_failed`: the server rejected the token and no new one could be had; stopped;
 * - `closed`: `client.close()` was called; stopped.
 */
export type ConnectionState = 'idle' | 'connecting' | 'authenticating' | 'resuming' | 'ready' | 'offline' | 'auth_failed' | 'closed';

/** Details of a state change. */
export interface StateDetail {
  /** Close code of the socket that dropped (for `offline`, `auth_failed`). */
  code?: number;
  reason?: string;
  /** For `offline`: ms until the next attempt (absent when waiting for the browser to go online). */
  retryInMs?: number;
  /** Consecutive failed attempts so far. */
  attempt?: number;
}

/** Internal options of {@link Connection}. */
export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  token?: string;
  getToken?: () => string | Promise<string>;
  requestTimeoutMs: number;
  pingIntervalMs: number;
  backoff: ResolvedBackoff;
  window?: WindowLike;
  random?: () => number;
  now?: () => number;
  onState(state: ConnectionState, detail: StateDetail): void;
  onPush(frame: PushFrame): void;
  /** Called after every successful auth; the connection is `ready` when the promise resolves. */
  onOpen(auth: WireOpResults['auth']): Promise<void>;
  onError(error: unknown): void;
}

interface Pending {
  id: number;
  frame: string;
  sent: boolean;
  immediate: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_AUTH_FAILURES = 3;

/** Internal: one logical connection over many sockets: auth, requests, reconnects, heartbeats. */
export class Connection {
  readonly #o: ConnectionOptions;
  #state: ConnectionState = 'idle';
  #ws: WebSocketLike | null = null;
  #token: string | undefined;
  #failedToken: string | undefined;
  #authFailures = 0;
  #attempt = 0;
  #openedAt = 0;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #authId = 0;
  #authRejected: ErrorBody | null = null;
  #userId: string | null = null;
  readonly #online = () => this.#wake();
  readonly #offline = () => {
    if (this.#ws) this.#drop(this.#ws, CLIENT_DROP, 'browser offline');
  };

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#token = options.token;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get userId(): string | null {
    return this.#userId;
  }

  /** True while requests marked `immediate` can be sent (authenticated socket). */
  get authenticated(): boolean {
    return this.#state === 'resuming' || this.#state === 'ready';
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#o.window?.addEventListener('online', this.#online);
    this.#o.window?.addEventListener('offline', this.#offline);
    void this.#connect();
  }

  /** Drop the current socket and reconnect at once (after a `resume` push the client resumes without this). */
  reconnect(): void {
    if (this.#state === 'closed' || this.#state === 'auth_failed') return;
    this.#attempt = 0;
    if (this.#ws) this.#drop(this.#ws, CLIENT_DROP, 'reconnect requested');
    else this.#wake();
  }

  /** Send a request. `immediate` requests go out while resuming; others wait for `ready`. */
  request<R>(op: AnyOpName, params: unknown, options: { timeoutMs?: number; immediate?: boolean } = {}): Promise<R> {
    if (this.#state === 'closed') return Promise.reject(new ParleyError('CLOSED', 'the client is closed'));
    if (this.#state === 'auth_failed') return Promise.reject(new ParleyError('AUTH_FAILED', 'authentication failed'));
    if (options.immediate && !this.authenticated) return Promise.reject(new ParleyError('DISCONNECTED', 'not connected'));
    return new Promise<R>((resolve, reject) => {
      const id = this.#nextId++;
      const timeoutMs = options.timeoutMs ?? this.#o.requestTimeoutMs;
      const p: Pending = {
        id,
        frame: JSON.stringify({ id, op, params: params ?? {} }),
        sent: false,
        immediate: options.immediate === true,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: setTimeout(() => {
          this.#pending.delete(id);
          reject(new ParleyError('TIMEOUT', `${op}: no reply within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#pending.set(id, p);
      this.#flush();
    });
  }

  /** Stop for good: close the socket, reject every request with `CLOSED`. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#o.window?.removeEventListener('online', this.#online);
    this.#o.window?.removeEventListener('offline', this.#offline);
    clearTimeout(this.#retryTimer);
    this.#setState('closed', {});
    const ws = this.#ws;
    if (ws) this.#detach(ws, CLOSE_CODES.NORMAL, 'client closed');
    this.#failAll(new ParleyError('CLOSED', 'the client is closed'), true);
  }

  #setState(state: ConnectionState, detail: StateDetail): void {
    if (this.#state === state && state !== 'offline') return;
    this.#state = state;
    this.#o.onState(state, detail);
  }

  #flush(): void {
    const ws = this.#ws;
    if (!ws || !this.authenticated) return;
    for (const p of this.#pending.values()) {
      if (p.sent || (!p.immediate && this.#state !== 'ready')) continue;
      p.sent = true;
      ws.send(p.frame);
    }
  }

  async #connect(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'auth_failed') return;
    if (this.#o.window?.navigator?.onLine === false) {
      this.#setState('offline', { attempt: this.#attempt });
      return;
    }
    this.#setState('connecting', { attempt: this.#attempt });
    if (this.#token === undefined) {
      if (!this.#o.getToken) return this.#authFailed({ code: CLOSE_CODES.UNAUTHENTICATED, reason: 'no token' });
      try {
        this.#token = await this.#o.getToken();
      } catch (error) {
        this.#o.onError(error);
        return this.#scheduleRetry(0, 'getToken failed');
      }
      if ((this.#state as ConnectionState) === 'closed') return;
      if (this.#token === this.#failedToken) return this.#authFailed({ code: CLOSE_CODES.UNAUTHENTICATED, reason: 'getToken returned the rejected token' });
    }
    let ws: WebSocketLike;
    try {
      ws = new this.#o.WebSocket(this.#o.url, SUBPROTOCOL);
    } catch (error) {
      this.#o.onError(error);
      return this.#scheduleRetry(0, 'WebSocket constructor failed');
    }
    this.#ws = ws;
    this.#authRejected = null;
    const token = this.#token;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#setState('authenticating', {});
      this.#authId = this.#nextId++;
      ws.send(JSON.stringify({ id: this.#authId, op: 'auth', params: { token } }));
    };
    ws.onmessage = (event) => {
      if (this.#ws !== ws || typeof event.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.#onFrame(ws, frame);
    };
    ws.onclose = (event) => this.#drop(ws, event.code, event.reason);
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  #onFrame(ws: WebSocketLike, frame: unknown): void {
    if (typeof frame !== 'object' || frame === null) return;
    if ('ev' in frame) {
      const push = frame as PushFrame;
      // the server authenticated this socket from the upgrade request (cookies, headers): its
      // `ready` push arrives before the reply to our `auth` frame, which will be a CONFLICT to ignore
      if (push.ev === 'ready' && this.#state === 'authenticating') {
        void this.#opened(ws, { userId: push.userId, protocol: push.protocol, serverTime: push.serverTime });
        return;
      }
      if (this.authenticated) this.#o.onPush(push);
      return;
    }
    const reply = frame as { id?: unknown; ok?: unknown; result?: unknown; error?: ErrorBody };
    if (reply.id === this.#authId && this.#state === 'authenticating') {
      if (reply.ok === true) void this.#opened(ws, reply.result as WireOpResults['auth']);
      else {
        this.#authRejected = reply.error ?? { code: 'UNAUTHENTICATED', message: 'authentication failed' };
        this.#drop(ws, CLOSE_CODES.UNAUTHENTICATED, this.#authRejected.message);
      }
      return;
    }
    if (typeof reply.id !== 'number') return;
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok === true) p.resolve(reply.result);
    else {
      const e = reply.error ?? { code: 'INTERNAL', message: 'malformed error reply' };
      p.reject(new ParleyError(e.code, e.message, e));
    }
  }

  async #opened(ws: WebSocketLike, auth: WireOpResults['auth']): Promise<void> {
    this.#openedAt = (this.#o.now ?? Date.now)();
    this.#authFailures = 0;
    this.#failedToken = undefined;
    this.#userId = auth.userId;
    this.#setState('resuming', {});
    this.#flush();
    try {
      await this.#o.onOpen(auth);
    } catch (error) {
      if (this.#ws !== ws) return;
      this.#o.onError(error);
      this.#drop(ws, CLIENT_DROP, 'resume failed');
      return;
    }
    if (this.#ws !== ws) return;
    this.#setState('ready', {});
    this.#flush();
    clearInterval(this.#pingTimer);
    if (this.#o.pingIntervalMs > 0) {
      this.#pingTimer = setInterval(() => {
        if (this.#ws !== ws || this.#state !== 'ready') return;
        this.request('ping', {}, { timeoutMs: Math.max(1000, this.#o.pingIntervalMs / 2) }).catch((error: unknown) => {
          if (this.#ws === ws && (error as ParleyError).code === 'TIMEOUT') this.#drop(ws, CLIENT_DROP, 'ping timeout');
        });
      }, this.#o.pingIntervalMs);
      (this.#pingTimer as { unref?: () => void }).unref?.();
    }
  }

  /** Detach a socket's handlers and close it; in-flight requests fail with `DISCONNECTED`. */
  #detach(ws: WebSocketLike, code: number, reason: string): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      if (ws.readyState <= 1) ws.close(code >= 4000 && code < 5000 ? code : 1000, reason);
    } catch {
      /* already closing */
    }
    if (this.#ws === ws) this.#ws = null;
    clearInterval(this.#pingTimer);
    this.#failAll(new ParleyError('DISCONNECTED', `connection lost (${code}${reason ? ` ${reason}` : ''})`), false);
  }

  /** A socket ended (closed by the server, the network, or us): decide what comes next. */
  #drop(ws: WebSocketLike, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#detach(ws, code, reason);
    if (this.#state === 'closed') return;
    const rejected = this.#authRejected !== null || code === CLOSE_CODES.UNAUTHENTICATED || code === CLOSE_CODES.SESSION_REVOKED;
    if (rejected) {
      this.#failedToken = this.#token;
      this.#token = undefined;
      this.#authFailures++;
      if (!this.#o.getToken || this.#authFailures > MAX_AUTH_FAILURES) return this.#authFailed({ code, reason });
      if (code === CLOSE_CODES.SESSION_REVOKED && this.#authFailures === 1) return this.#scheduleRetry(0, reason, code, 0);
    }
    const now = (this.#o.now ?? Date.now)();
    if (this.#openedAt > 0 && now - this.#openedAt >= this.#o.backoff.stableAfterMs) this.#attempt = 0;
    this.#openedAt = 0;
    if (this.#o.window?.navigator?.onLine === false) {
      this.#setState('offline', { code, reason, attempt: this.#attempt });
      return;
    }
    this.#scheduleRetry(code, reason, code);
  }

  #scheduleRetry(code: number, reason: string, closeCode = code, delay?: number): void {
    const ms = delay ?? reconnectDelay(this.#attempt, closeCode, this.#o.backoff, this.#o.random);
    this.#attempt++;
    this.#setState('offline', { code, reason, retryInMs: ms, attempt: this.#attempt });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#connect(), ms);
  }

  #authFailed(detail: StateDetail): void {
    this.#setState('auth_failed', detail);
    this.#failAll(new ParleyError('AUTH_FAILED', `authentication failed${detail.reason ? `: ${detail.reason}` : ''}`), true);
  }

  /** Online again (or an explicit reconnect): connect now if waiting. */
  #wake(): void {
    if (this.#state !== 'offline') return;
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    void this.#connect();
  }

  #failAll(error: ParleyError, queuedToo: boolean): void {
    for (const p of [...this.#pending.values()]) {
      if (!p.sent && !p.immediate && !queuedToo) continue;
      this.#pending.delete(p.id);
      clearTimeout(p.timer);
      p.reject(error);
    }
  }
}

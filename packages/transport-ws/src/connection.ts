import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Chat, ChatSession } from '@parley/core';
import { isChatError, issuesFromZod } from '@parley/core';
import { CLOSE_CODES, PROTOCOL_VERSION, RequestEnvelope, WireOpParams, paramsSchemaOf, type Presence, type RequestId } from '@parley/protocol';
import WebSocket, { type RawData } from 'ws';
import { runAuthenticate } from './auth.js';
import { describe, type Fanout, type FanoutTarget } from './fanout.js';
import type { AuthenticateHook, Logger, RevalidateHook, WsLimits } from './options.js';
import type { PresenceWatch, PresenceWatcher } from './presence-watch.js';
import { TokenBucket } from './rate-limit.js';
import { errorFrame, okFrame, pushBytes, salvageId, toErrorBody } from './wire.js';

/** What a connection needs from its server. */
export interface ConnectionContext {
  readonly chat: Chat;
  readonly limits: WsLimits;
  readonly logger: Logger;
  readonly fanout: Fanout;
  readonly presence: PresenceWatch;
  readonly authenticate: AuthenticateHook;
  readonly revalidate: RevalidateHook | undefined;
  /** Take a token of the user's request rate (all their connections): 0, or ms until one is available. */
  takeUserToken(userId: string): Promise<number>;
  /** Reserve one of the user's connection slots; false at the cap. */
  claimUserSlot(userId: string): boolean;
  releaseUserSlot(userId: string): void;
  requestStarted(): void;
  requestFinished(): void;
  isClosing(): boolean;
  /** The socket closed and everything was released. */
  removed(conn: Connection): void;
}

type State = 'auth' | 'setup' | 'open' | 'closing';

/** Frames buffered while authentication or set-up is in progress. */
const MAX_PENDING = 16;

/** Resolved by an already-closed connection's `closed`. */
const CLOSED: Promise<void> = Promise.resolve();

/**
 * The socket class of the server: the same `ws` socket with a slot for its connection, so that the
 * socket's listeners are shared functions instead of closures per connection.
 */
export class ConnectionSocket extends WebSocket {
  /** The connection this socket belongs to (set once, by the connection). */
  connection: Connection | null = null;
}

/**
 * One client socket: authentication, request handling, limits, delivery of pushes.
 *
 * Idle connections are the common case, so what one holds is kept small: no closures of its own
 * (the socket's listeners are shared), one timer at a time (the auth timeout, cleared once
 * authenticated, then the revalidate interval when there is a hook), and the rate-limit bucket,
 * the buffer of early frames and the `closed` promise are only allocated when used.
 */
export class Connection implements FanoutTarget, PresenceWatcher {
  /** Unique id (a UUID), also the presence connection id. */
  readonly id = flatUuid();
  /** Users this connection watches the presence of (owned by the watch registry; null before the first watch). */
  watching: Set<string> | null = null;
  /** When the last frame or pong arrived. */
  lastSeen = Date.now();
  #closed: Promise<void> | null = null;
  #resolveClosed: (() => void) | null = null;
  #released = false;
  #userId: string | null = null;
  /** Kept for the revalidate hook only. */
  #token: string | undefined;
  #session: ChatSession | null = null;
  #state: State = 'auth';
  #authBusy = false;
  /** Frames that arrived during authentication or set-up (null when there are none). */
  #pending: RawData[] | null = null;
  #strikes = 0;
  #inFlight = 0;
  #slotClaimed = false;
  #presenceConnect: Promise<{ connections?: number } | null> | null = null;
  /** The auth timeout until authenticated, then the revalidate interval (if any). */
  #timer: ReturnType<typeof setTimeout> | null;
  /** Created by the first request: a full bucket then is the same as a full bucket since connecting. */
  #bucket: TokenBucket | null = null;
  readonly #socket: ConnectionSocket;
  /** Kept for the authenticate and revalidate hooks only; dropped after auth when there is no revalidate hook. */
  #request: IncomingMessage | null;
  readonly #ctx: ConnectionContext;

  constructor(input: { socket: ConnectionSocket; request: IncomingMessage; ctx: ConnectionContext }) {
    this.#socket = input.socket;
    this.#request = input.request;
    this.#ctx = input.ctx;
    const socket = input.socket;
    socket.connection = this;
    socket.on('message', Connection.#onMessage);
    socket.on('pong', Connection.#onPong);
    socket.on('error', Connection.#onError);
    socket.on('close', Connection.#onClose); // not `once`: its wrapper costs a closure and an object per socket
    this.#timer = setTimeout(Connection.#authTimedOut, input.ctx.limits.authTimeoutMs, this);
  }

  // Socket listeners (`this` is the socket) and timer callbacks, shared by every connection.
  static #onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const conn = (this as ConnectionSocket).connection;
    if (conn) conn.#onFrame(data, isBinary);
  }

  static #onPong(this: WebSocket): void {
    const conn = (this as ConnectionSocket).connection;
    if (conn) conn.lastSeen = Date.now();
  }

  static #onError(this: WebSocket, error: Error): void {
    const conn = (this as ConnectionSocket).connection;
    if (conn) conn.#ctx.logger.debug('socket error', { connectionId: conn.id, error: describe(error) });
  }

  static #onClose(this: WebSocket): void {
    this.off('close', Connection.#onClose);
    const conn = (this as ConnectionSocket).connection;
    if (conn) void conn.#cleanup();
  }

  static #authTimedOut(conn: Connection): void {
    conn.#timer = null;
    if (conn.#state === 'auth') conn.close(CLOSE_CODES.UNAUTHENTICATED, 'authentication timeout');
  }

  static #revalidateTick(conn: Connection): void {
    void conn.#revalidate();
  }

  /** Resolves once the socket closed and everything it held was released. */
  get closed(): Promise<void> {
    if (this.#released) return CLOSED;
    this.#closed ??= new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    return this.#closed;
  }

  /** The authenticated user (empty string before authentication). */
  get userId(): string {
    return this.#userId ?? '';
  }

  /** Whether the connection finished authentication and set-up. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Requests being processed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Authenticate from the upgrade (request headers or the subprotocol token). */
  start(auth: { userId: string; token?: string } | null): void {
    if (auth) void this.#authenticated(auth.userId, auth.token, null);
  }

  /** Send a serialised push; closes the connection with 4011 when the client cannot keep up. */
  sendBytes(data: Buffer): void {
    if (this.#state !== 'open') return;
    this.#write(data);
  }

  /** Close with a code (idempotent); the TCP connection is dropped if the close handshake stalls. */
  close(code: number, reason: string): void {
    if (this.#state === 'closing') return;
    this.#state = 'closing';
    this.#pending = null;
    this.#ctx.logger.debug('closing connection', { connectionId: this.id, userId: this.#userId, code });
    try {
      this.#socket.close(code, reason);
    } catch {
      this.#socket.terminate();
    }
    const timer = setTimeout(() => this.#socket.terminate(), this.#ctx.limits.closeTimeoutMs);
    timer.unref();
  }

  /** Called by the server's heartbeat sweep. */
  heartbeat(now: number): void {
    if (now - this.lastSeen > this.#ctx.limits.idleTimeoutMs) {
      this.close(CLOSE_CODES.IDLE_TIMEOUT, 'idle timeout');
      return;
    }
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.ping();
  }

  #write(data: string | Buffer): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(data, { binary: false });
    if (this.#socket.bufferedAmount > this.#ctx.limits.maxBufferedBytes) {
      this.#ctx.logger.info('slow consumer', { connectionId: this.id, userId: this.#userId });
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
    }
  }

  #reply(id: RequestId | null, result: { ok: true; value: unknown } | { ok: false; error: unknown }): void {
    if (this.#state === 'closing') return;
    if (result.ok && id !== null) this.#write(okFrame(id, result.value));
    else if (!result.ok) this.#write(errorFrame(id, toErrorBody(result.error)));
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    if (this.#state === 'closing') return;
    if (isBinary) {
      this.close(CLOSE_CODES.UNSUPPORTED_DATA, 'binary frames are not supported');
      return;
    }
    if (this.#state === 'open') {
      this.#onRequest(data);
      return;
    }
    if (this.#state === 'setup' || this.#authBusy) {
      const pending = (this.#pending ??= []);
      if (pending.length >= MAX_PENDING) this.close(CLOSE_CODES.POLICY_VIOLATION, 'too many frames before ready');
      else pending.push(data);
      return;
    }
    void this.#onAuthFrame(data);
  }

  async #onAuthFrame(data: RawData): Promise<void> {
    const frame = parseJson(data);
    const id = salvageId(frame);
    const envelope = RequestEnvelope.safeParse(frame);
    const params = envelope.success && envelope.data.op === 'auth' ? WireOpParams.auth.safeParse(envelope.data.params ?? {}) : null;
    if (!params?.success) {
      const message = params ? 'auth needs params { token }' : 'authenticate first: send { id, op: "auth", params: { token } }';
      this.#write(errorFrame(id, { code: 'UNAUTHENTICATED', message }));
      this.close(CLOSE_CODES.UNAUTHENTICATED, 'unauthenticated');
      return;
    }
    const request = this.#request;
    if (request === null) return; // only dropped once open
    this.#authBusy = true;
    const result = await runAuthenticate(this.#ctx.authenticate, { request, token: params.data.token });
    this.#authBusy = false;
    if (this.#state !== 'auth') return;
    if (result.userId === null) {
      if (result.error) this.#ctx.logger.warn('authenticate hook threw', { connectionId: this.id, error: describe(result.error) });
      this.#write(errorFrame(id, { code: 'UNAUTHENTICATED', message: 'authentication failed' }));
      this.close(CLOSE_CODES.UNAUTHENTICATED, 'authentication failed');
      return;
    }
    await this.#authenticated(result.userId, params.data.token, id);
  }

  async #authenticated(userId: string, token: string | undefined, replyId: RequestId | null): Promise<void> {
    if (this.#state !== 'auth') return;
    this.#state = 'setup';
    let session: ChatSession;
    try {
      session = this.#ctx.chat.as(userId);
    } catch {
      this.#write(errorFrame(replyId, { code: 'UNAUTHENTICATED', message: 'authentication failed' }));
      this.close(CLOSE_CODES.UNAUTHENTICATED, 'invalid user id');
      return;
    }
    if (!this.#ctx.claimUserSlot(userId)) {
      this.#write(errorFrame(replyId, { code: 'FORBIDDEN', message: 'too many connections for this user' }));
      this.close(CLOSE_CODES.TOO_MANY_CONNECTIONS, 'too many connections');
      return;
    }
    this.#slotClaimed = true;
    this.#userId = userId;
    if (this.#ctx.revalidate) this.#token = token;
    this.#session = session;
    this.#ctx.logger.debug('authenticated', { connectionId: this.id, userId });
    let refused = false;
    this.#presenceConnect = this.#ctx.chat.connect(userId, this.id).catch((error: unknown) => {
      // FORBIDDEN: the account was erased (chat.eraseUser); anything else only costs presence
      if (isChatError(error, 'FORBIDDEN')) refused = true;
      else this.#ctx.logger.warn('presence connect failed', { connectionId: this.id, error: describe(error) });
      return null;
    });
    const joined = await this.#presenceConnect;
    this.#presenceConnect = null; // settled: nothing to wait for at cleanup
    if (refused) {
      this.#write(errorFrame(replyId, { code: 'FORBIDDEN', message: 'this account was deleted' }));
      this.close(CLOSE_CODES.SESSION_REVOKED, 'account deleted');
      return;
    }
    // the registry counts the user's connections on every node (the new one included)
    if (joined?.connections !== undefined && joined.connections > this.#ctx.limits.maxConnectionsPerUser && this.#state === 'setup') {
      this.#write(errorFrame(replyId, { code: 'FORBIDDEN', message: 'too many connections for this user' }));
      this.close(CLOSE_CODES.TOO_MANY_CONNECTIONS, 'too many connections');
      return;
    }
    try {
      await this.#ctx.fanout.attach(this);
    } catch (error) {
      this.#ctx.logger.error('fan-out attach failed', { connectionId: this.id, error: describe(error) });
      this.close(CLOSE_CODES.INTERNAL_ERROR, 'set-up failed');
      return;
    }
    if (this.#state !== 'setup') {
      // closed while attaching: the cleanup's detach ran before the attach completed
      this.#ctx.fanout.detach(this);
      return;
    }
    this.#state = 'open';
    if (this.#timer !== null) clearTimeout(this.#timer); // the auth timeout
    this.#timer = null;
    if (!this.#ctx.revalidate) this.#request = null;
    const serverTime = Date.now();
    if (replyId !== null) this.#write(okFrame(replyId, { userId, protocol: PROTOCOL_VERSION, serverTime }));
    this.#write(pushBytes({ ev: 'ready', userId, protocol: PROTOCOL_VERSION, serverTime }));
    if (this.#ctx.revalidate) {
      this.#timer = setInterval(Connection.#revalidateTick, this.#ctx.limits.revalidateIntervalMs, this);
      this.#timer.unref();
    }
    const pending = this.#pending;
    this.#pending = null;
    if (pending) for (const frame of pending) this.#onRequest(frame);
  }

  async #revalidate(): Promise<void> {
    const hook = this.#ctx.revalidate;
    if (!hook || this.#state !== 'open' || this.#userId === null) return;
    let valid = false;
    try {
      valid = this.#request !== null && (await hook({ userId: this.#userId, request: this.#request, ...(this.#token !== undefined ? { token: this.#token } : {}) })) === true;
    } catch (error) {
      this.#ctx.logger.warn('revalidate hook threw', { connectionId: this.id, error: describe(error) });
    }
    if (!valid) this.close(CLOSE_CODES.SESSION_REVOKED, 'session revoked');
  }

  #onRequest(data: RawData): void {
    const frame = parseJson(data);
    if (frame === NOT_JSON) {
      if (this.#limited(null)) return;
      this.#write(errorFrame(null, { code: 'INVALID', message: 'frame is not valid JSON' }));
      return;
    }
    const id = salvageId(frame);
    if (this.#limited(id)) return;
    const envelope = RequestEnvelope.safeParse(frame);
    if (!envelope.success) {
      const issues = issuesFromZod(envelope.error);
      this.#write(errorFrame(id, { code: 'INVALID', message: 'not a request frame: expected { id, op, params }', issues }));
      return;
    }
    const { op, params } = envelope.data;
    const reqId = envelope.data.id;
    if (op === 'auth') {
      this.#write(errorFrame(reqId, { code: 'CONFLICT', message: 'already authenticated' }));
      return;
    }
    if (op === 'ping') {
      const parsed = WireOpParams.ping.safeParse(params ?? {});
      if (parsed.success) this.#write(okFrame(reqId, { now: Date.now() }));
      else this.#write(errorFrame(reqId, { code: 'INVALID', message: 'ping takes no params' }));
      return;
    }
    if (!paramsSchemaOf(op)) {
      this.#write(errorFrame(reqId, { code: 'INVALID', message: 'unknown op' }));
      return;
    }
    if (this.#ctx.isClosing()) {
      this.#write(errorFrame(reqId, { code: 'UNAVAILABLE', message: 'server is shutting down; reconnect' }));
      return;
    }
    if (this.#inFlight >= this.#ctx.limits.maxInFlight) {
      this.#write(errorFrame(reqId, { code: 'RATE_LIMITED', message: 'too many requests in flight', retryAfterMs: 100 }));
      return;
    }
    void this.#run(reqId, op, params);
  }

  /** Spend a rate-limit token; answers RATE_LIMITED (or closes 4029) and returns true when over the limit. */
  #limited(id: RequestId | null): boolean {
    const wait = (this.#bucket ??= new TokenBucket(this.#ctx.limits.ratePerSecond, this.#ctx.limits.rateBurst)).take();
    if (wait === 0) {
      this.#strikes = 0;
      return false;
    }
    this.#strikes++;
    if (this.#strikes >= this.#ctx.limits.floodCloseAfter) {
      this.#ctx.logger.info('flood', { connectionId: this.id, userId: this.#userId });
      this.close(CLOSE_CODES.POLICY_VIOLATION, 'rate limit exceeded');
    } else {
      this.#write(errorFrame(id, { code: 'RATE_LIMITED', message: 'too many requests', retryAfterMs: wait }));
    }
    return true;
  }

  async #run(id: RequestId, op: string, params: unknown): Promise<void> {
    const session = this.#session!;
    this.#inFlight++;
    this.#ctx.requestStarted();
    try {
      const wait = await this.#ctx.takeUserToken(this.#userId!);
      if (wait > 0) {
        this.#write(errorFrame(id, { code: 'RATE_LIMITED', message: 'too many requests for this user', retryAfterMs: wait }));
        return;
      }
      const value = await session.call(op, params);
      if (op === 'presence' && Array.isArray(value) && this.#state === 'open') {
        await this.#ctx.presence.watch(this, (value as Presence[]).map((p) => p.userId));
      }
      this.#reply(id, { ok: true, value });
    } catch (error) {
      const body = toErrorBody(error);
      if (body.code === 'INTERNAL' || body.code === 'UNAVAILABLE') {
        this.#ctx.logger.error('request failed', { connectionId: this.id, userId: this.#userId, op, error: describe(error) });
      }
      this.#reply(id, { ok: false, error });
    } finally {
      this.#inFlight--;
      this.#ctx.requestFinished();
    }
  }

  async #cleanup(): Promise<void> {
    this.#state = 'closing';
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = null;
    const userId = this.#userId;
    if (userId !== null) {
      this.#ctx.fanout.detach(this);
      this.#ctx.presence.unwatchAll(this);
      try {
        await this.#presenceConnect;
        await this.#ctx.chat.disconnect(userId, this.id);
      } catch (error) {
        this.#ctx.logger.warn('presence disconnect failed', { connectionId: this.id, error: describe(error) });
      }
    }
    if (this.#slotClaimed && userId !== null) this.#ctx.releaseUserSlot(userId);
    this.#ctx.removed(this);
    this.#released = true;
    this.#resolveClosed?.();
  }
}

/**
 * `randomUUID()` as one flat string: Node builds it by concatenation, a tree of 14 cons strings
 * (about 450 bytes) that V8 keeps as is for as long as the id lives.
 */
function flatUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

const NOT_JSON = Symbol('not json');

function parseJson(data: RawData): unknown {
  try {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, SUBPROTOCOL } from '@parley/protocol';
import { createMemoryRateLimiter, type RateRule } from '@parley/core';
import { WebSocketServer } from 'ws';
import { offeredProtocols, offersParley, runAuthenticate, tokenFromProtocols, urlCarriesToken } from './auth.js';
import { Connection, ConnectionSocket, type ConnectionContext } from './connection.js';
import { Fanout, describe } from './fanout.js';
import { DEFAULT_WS_LIMITS, silentLogger, type WsLimits, type WsServerOptions } from './options.js';
import { originAllowed } from './origin.js';
import { PresenceWatch } from './presence-watch.js';

/** A running Parley WebSocket server. */
export interface WsServer {
  /** The address listened on (own port), or the attached server's address. Null before listening. */
  address(): AddressInfo | null;
  /** Open sockets, authenticated or not. */
  readonly connections: number;
  /** Users with at least one authenticated connection on this server. */
  readonly users: number;
  /** Conversation topics this server is subscribed to. */
  readonly conversations: number;
  /** The limits in force. */
  readonly limits: Readonly<WsLimits>;
  /** Push `{ ev: 'resume', reason }` to every connection (what a pub/sub reset does). */
  requestResume(reason: string): void;
  /**
   * Graceful shutdown: stop accepting upgrades, let in-flight requests finish (at most
   * `limits.drainTimeoutMs`), close every socket with 1001, unsubscribe from the bus and, with
   * `port`, stop listening. Does not close the chat, its store or its bus. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Expose a {@link "core/src".Chat | Chat} over WebSocket (subprotocol `parley.v1`; see docs/protocol.md).
 *
 * ```ts
 * const http = createServer(app);
 * const ws = await createWsServer({
 *   chat, server: http, path: '/parley', origins: ['https://app.example.com'],
 *   authenticate: async ({ request, token }) => (token ? verify(token) : sessionUser(request)),
 * });
 * ```
 */
export async function createWsServer(options: WsServerOptions): Promise<WsServer> {
  if (!options.server && options.port === undefined) throw new TypeError('createWsServer: give `server` or `port`');
  if (typeof options.authenticate !== 'function') throw new TypeError('createWsServer: `authenticate` is required');
  const limits: WsLimits = { ...DEFAULT_WS_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const path = options.path ?? '/parley';
  const { chat } = options;
  const own = !options.server;
  const http: Server = options.server ?? createOwnServer(limits.handshakeTimeoutMs);
  if (options.server && !(options.server.headersTimeout > 0 && options.server.headersTimeout <= SLOW_HEADERS_MS)) {
    // the host's server decides how long a half-sent upgrade request may hold a socket
    logger.warn('the attached HTTP server lets half-sent requests live long: set its headersTimeout (see docs/security.md)', {
      headersTimeout: options.server.headersTimeout,
    });
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: () => SUBPROTOCOL,
    WebSocket: ConnectionSocket,
  });
  const fanout = new Fanout({ chat, logger, limits });
  const presence = new PresenceWatch({ chat, logger, limits });
  const conns = new Set<Connection>();
  const perUser = new Map<string, number>();
  const localLimiter = createMemoryRateLimiter();
  const rateLimiter = options.rateLimiter ?? localLimiter;
  const userRule: RateRule | null =
    limits.userRatePerSecond > 0 && Number.isFinite(limits.userRatePerSecond)
      ? { limit: limits.userRateBurst, windowMs: (limits.userRateBurst / limits.userRatePerSecond) * 1000 }
      : null;
  let sockets = 0;
  let upgrading = 0;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  let closing: Promise<void> | null = null;

  const ctx: ConnectionContext = {
    chat,
    limits,
    logger,
    fanout,
    presence,
    authenticate: options.authenticate,
    revalidate: options.revalidate,
    async takeUserToken(userId) {
      if (userRule === null) return 0;
      const input = { key: `ws:user:${userId}`, cost: 1, rule: userRule, now: Date.now() };
      try {
        return (await rateLimiter.take(input)).retryAfterMs;
      } catch (error) {
        // the shared limiter is away: keep limiting, per node, rather than refuse or allow everything
        logger.warn('rate limiter failed; per-node limit used', { error: describe(error) });
        return (await localLimiter.take(input)).retryAfterMs;
      }
    },
    claimUserSlot(userId) {
      const n = perUser.get(userId) ?? 0;
      if (n >= limits.maxConnectionsPerUser) return false;
      perUser.set(userId, n + 1);
      return true;
    },
    releaseUserSlot(userId) {
      const n = (perUser.get(userId) ?? 1) - 1;
      if (n <= 0) perUser.delete(userId);
      else perUser.set(userId, n);
    },
    requestStarted: () => void inFlight++,
    requestFinished() {
      inFlight--;
      if (inFlight === 0 && drained) drained();
    },
    isClosing: () => closing !== null,
    removed(conn) {
      if (conns.delete(conn)) sockets--;
    },
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      if (own) reject(socket, 400, 'bad request');
      return;
    }
    if (url.pathname !== path) {
      if (own) reject(socket, 404, 'not found');
      return; // another upgrade handler of the host may want it
    }
    void accept(request, socket, head, url);
  };

  const accept = async (request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
    socket.on('error', destroyOnError);
    // the hook may hang: an upgrade that has not switched protocols in time is dropped
    const deadline = setTimeout(() => socket.destroy(), limits.handshakeTimeoutMs);
    deadline.unref();
    try {
      await handshake(request, socket, head, url);
    } finally {
      clearTimeout(deadline);
    }
  };

  const handshake = async (request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
    if (closing) return reject(socket, 503, 'shutting down');
    if (sockets + upgrading >= limits.maxConnections) return reject(socket, 503, 'too many connections');
    const origin = request.headers.origin;
    if (!originAllowed(options.origins, typeof origin === 'string' ? origin : undefined, limits.allowMissingOrigin)) {
      logger.info('origin rejected', { origin: typeof origin === 'string' ? origin.slice(0, 200) : null });
      return reject(socket, 403, 'origin not allowed');
    }
    if (urlCarriesToken(url)) return reject(socket, 400, 'credentials must not be sent in the URL');
    const protocols = offeredProtocols(request);
    if (!offersParley(protocols)) return reject(socket, 400, `subprotocol ${SUBPROTOCOL} required`);
    const token = tokenFromProtocols(protocols);
    upgrading++; // reserve the slot while the hook runs
    const auth = await runAuthenticate(options.authenticate, token === undefined ? { request } : { request, token });
    upgrading--;
    if (auth.userId === null && auth.error) logger.warn('authenticate hook threw', { error: describe(auth.error) });
    if (closing || socket.destroyed) return reject(socket, 503, 'shutting down');
    wss.handleUpgrade(request, socket, head, (ws) => {
      socket.off('error', destroyOnError); // the socket's errors are ws's to handle now
      const conn = new Connection({ socket: ws, request, ctx });
      conns.add(conn);
      sockets++;
      if (auth.userId !== null) conn.start(token === undefined ? { userId: auth.userId } : { userId: auth.userId, token });
      else if (token !== undefined) conn.close(CLOSE_CODES.UNAUTHENTICATED, 'authentication failed');
    });
  };

  http.on('upgrade', onUpgrade);
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const c of conns) c.heartbeat(now);
  }, limits.heartbeatIntervalMs);
  heartbeat.unref();
  const stopReset = chat.pubsub.onReset?.((reason) => {
    logger.warn('pub/sub reset: asking clients to resume');
    fanout.broadcast({ ev: 'resume', reason: String(reason).slice(0, 200) });
  });

  if (own) {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, options.host ?? '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  }
  logger.info('parley websocket server ready', { path });

  const shutdown = async (): Promise<void> => {
    clearInterval(heartbeat);
    stopReset?.();
    if (own) http.close();
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, limits.drainTimeoutMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const closed = [...conns].map((c) => {
      c.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
      return c.closed;
    });
    await Promise.all(closed);
    await Promise.all([fanout.close(), presence.close()]);
    http.off('upgrade', onUpgrade);
    wss.close();
    if (own) http.closeAllConnections();
    logger.info('parley websocket server closed');
  };

  return {
    address() {
      const a = http.address();
      return a && typeof a === 'object' ? a : null;
    },
    get connections() {
      return sockets;
    },
    get users() {
      return fanout.userCount;
    },
    get conversations() {
      return fanout.conversationCount;
    },
    limits,
    requestResume(reason) {
      fanout.broadcast({ ev: 'resume', reason });
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

/**
 * The HTTP server Parley listens with when given `port`: it answers 404 to plain requests, and a
 * request whose headers (or body) have not arrived within `handshakeMs` is answered 408 and closed.
 * Node checks these timeouts on an interval (30 s by default); once a second keeps the bound tight.
 */
function createOwnServer(handshakeMs: number): Server {
  const server = createServer(
    { headersTimeout: handshakeMs, requestTimeout: handshakeMs, connectionsCheckingInterval: Math.min(1000, handshakeMs), keepAliveTimeout: handshakeMs },
    (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  );
  return server;
}

/** An attached server whose `headersTimeout` is above this gets a warning at start (Node's default is 60 s). */
const SLOW_HEADERS_MS = 30_000;

/** Error listener of a socket being upgraded (a shared function: a closure would keep the upgrade's scope alive). */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

const STATUS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

function reject(socket: Duplex, status: number, message: string): void {
  if (!socket.destroyed && socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
    );
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

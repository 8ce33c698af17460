import type { IncomingMessage, Server } from 'node:http';
import type { Chat, RateLimiter } from '@parley/core';

/** What {@link AuthenticateHook} receives. */
export interface AuthenticateInput {
  /**
   * The HTTP upgrade request (cookies, headers, remote address). Never read a token from its URL:
   * the server rejects upgrades that carry one in the query string.
   */
  request: IncomingMessage;
  /**
   * A bearer token, when the client sent one in the first frame (`{ op: 'auth', params: { token } }`)
   * or as a `parley.token.<base64url>` subprotocol entry. Undefined when the hook is asked to
   * authenticate from the upgrade request alone.
   */
  token?: string;
}

/**
 * Resolves the user of a connection. Return the user id (or `{ userId }`) to accept, `null` to
 * refuse. Without a token, returning `null` means "not from the request alone": the server then
 * waits for an `auth` frame. Throwing counts as a refusal (the error is logged, never sent).
 */
export type AuthenticateHook = (input: AuthenticateInput) => Promise<string | { userId: string } | null> | string | { userId: string } | null;

/**
 * Re-checks a live session every `limits.revalidateIntervalMs`. Return false (or throw) to close the
 * connection with 4003 (`SESSION_REVOKED`). `token` is the token the connection authenticated with,
 * undefined when it authenticated from the upgrade request.
 */
export type RevalidateHook = (input: { userId: string; token?: string; request: IncomingMessage }) => Promise<boolean> | boolean;

/** Which browser origins may connect: a list of exact origins, `'*'` for any, or a predicate. */
export type OriginPolicy = readonly string[] | '*' | ((origin: string) => boolean);

/** A structured logger. Messages and fields never contain tokens or message text. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Safety limits of the server. Every field has a default in {@link DEFAULT_WS_LIMITS}. */
export interface WsLimits {
  /** Largest inbound frame in bytes; a bigger one closes the connection with 1009. Default 64 KiB. */
  maxFrameBytes: number;
  /** Requests a connection may make per second, sustained (token bucket refill rate). Default 20. */
  ratePerSecond: number;
  /** Requests a connection may make in a burst (token bucket size). Default 40. */
  rateBurst: number;
  /**
   * Requests one user may make per second over all of their connections together, sustained
   * (enforced through `rateLimiter`: across every node when it is shared, e.g. the Redis one;
   * otherwise per node). Over it a request is answered `RATE_LIMITED` with `retryAfterMs`. 0 turns
   * it off. Default 50 (a user on several devices stays far below it; one connection alone is held
   * to `ratePerSecond` first).
   */
  userRatePerSecond: number;
  /** Requests one user may make in a burst over all of their connections. Default 100. */
  userRateBurst: number;
  /** Rate-limited requests in a row (without an accepted one between) before closing with 4029. Default 40. */
  floodCloseAfter: number;
  /** Requests of one connection being processed at once; more are answered `RATE_LIMITED`. Default 32. */
  maxInFlight: number;
  /**
   * Open connections per user; one more is answered `FORBIDDEN` and closed with 4008. Counted on
   * every node when the chat's presence registry reports `connections` (the Redis presence does),
   * otherwise on this server. Default 10.
   */
  maxConnectionsPerUser: number;
  /** Total open sockets on this server (authenticated or not); more are refused with HTTP 503. Default 100,000. */
  maxConnections: number;
  /**
   * Time an HTTP upgrade has to complete, from the first byte of the request to the switch to
   * WebSocket (the `authenticate` hook included). A socket still upgrading after this is destroyed.
   * When Parley owns the HTTP server (`port`), the server's `headersTimeout` and `requestTimeout` are
   * set to this too, and its timeout check runs every second (Node's default lets a half-sent request
   * live 80–95 s). With an attached `server`, the host sets those; see docs/security.md. Default 5 s.
   */
  handshakeTimeoutMs: number;
  /** Time a connection has to authenticate before it is closed with 4001. Default 10 s. */
  authTimeoutMs: number;
  /** Interval of server pings. Default 25 s. */
  heartbeatIntervalMs: number;
  /** A connection from which nothing (frame or pong) arrived for this long is closed with 4010. Default 60 s. */
  idleTimeoutMs: number;
  /** Bytes queued for a client before it is closed with 4011 as a slow consumer. Default 1 MiB. */
  maxBufferedBytes: number;
  /** Interval of the `revalidate` hook, when given. Default 5 min. */
  revalidateIntervalMs: number;
  /** How long `close()` waits for in-flight requests before closing sockets. Default 5 s. */
  drainTimeoutMs: number;
  /** After sending a close frame, how long to wait before dropping the TCP connection. Default 2 s. */
  closeTimeoutMs: number;
  /** Users one connection may watch the presence of. Default 1000. */
  maxPresenceWatch: number;
  /** How long a `canSeePresence` answer is reused (a new block takes at most this long to apply). Default 2 s. */
  presenceCacheMs: number;
  /** Events fetched from the store to fill a gap before giving up and pushing `resume`. Default 1000. */
  maxGapFill: number;
  /** Accept upgrade requests without an Origin header (non-browser clients). Default true. */
  allowMissingOrigin: boolean;
}

/** The defaults of {@link WsLimits}. */
export const DEFAULT_WS_LIMITS: Readonly<WsLimits> = Object.freeze({
  maxFrameBytes: 64 * 1024,
  ratePerSecond: 20,
  rateBurst: 40,
  userRatePerSecond: 50,
  userRateBurst: 100,
  floodCloseAfter: 40,
  maxInFlight: 32,
  maxConnectionsPerUser: 10,
  maxConnections: 100_000,
  handshakeTimeoutMs: 5_000,
  authTimeoutMs: 10_000,
  heartbeatIntervalMs: 25_000,
  idleTimeoutMs: 60_000,
  maxBufferedBytes: 1024 * 1024,
  revalidateIntervalMs: 5 * 60_000,
  drainTimeoutMs: 5_000,
  closeTimeoutMs: 2_000,
  maxPresenceWatch: 1000,
  presenceCacheMs: 2_000,
  maxGapFill: 1000,
  allowMissingOrigin: true,
});

/** Options of {@link createWsServer}. Give either `server` or `port`. */
export interface WsServerOptions {
  /** The engine to expose. */
  chat: Chat;
  /** Attach to this HTTP server: only upgrades for `path` are handled, other routes and upgrades are left alone. */
  server?: Server;
  /** Listen on this port instead (0 for any free port). */
  port?: number;
  /** Interface to listen on with `port`. Default `127.0.0.1`. */
  host?: string;
  /** URL path of the WebSocket endpoint. Default `/parley`. */
  path?: string;
  /** Resolves the user of a connection. */
  authenticate: AuthenticateHook;
  /** Optional periodic re-check of live sessions. */
  revalidate?: RevalidateHook;
  /** Browser origins allowed to connect. Upgrades from other origins get HTTP 403. */
  origins: OriginPolicy;
  /** Safety limits; missing fields take {@link DEFAULT_WS_LIMITS}. */
  limits?: Partial<WsLimits>;
  /**
   * Where the per-user request rate (`limits.userRatePerSecond`) is counted. Pass a shared limiter
   * (`createRedisRateLimiter` of `@parley/pubsub-redis`) so a user spread over nodes gets one
   * allowance, not one per node. When it fails (Redis unreachable) the server falls back to its own
   * in-memory limiter for that request, i.e. to a per-node limit, and logs a warning.
   * Default: an in-memory limiter of this server (per node).
   */
  rateLimiter?: RateLimiter;
  /** Where to log. Default: silent. */
  logger?: Logger;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

/** Version of the wire protocol spoken by this package. Bumped on breaking changes. */
export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocol name clients must offer. */
export const SUBPROTOCOL = 'parley.v1';

/**
 * Error codes shared by the engine and the wire. Check errors by `code`, not by `instanceof`.
 *
 * - `INVALID`: the input has the wrong shape or breaks a limit; nothing changed.
 * - `UNAUTHENTICATED`: no valid credentials (wire only).
 * - `NOT_FOUND`: the thing does not exist, or the caller may not know it exists.
 * - `FORBIDDEN`: the caller is known to be involved but the rules forbid the operation.
 * - `CONFLICT`: the operation clashes with the current state (already a member, call already ended...).
 * - `RATE_LIMITED`: too many requests; retry later.
 * - `UNAVAILABLE`: the store or another dependency failed; the operation may be retried.
 * - `TOO_LARGE`: reserved, never sent by the Parley server (a field over a limit is `INVALID`; a frame
 *   over the size limit closes the connection with close code 1009 instead of a reply).
 * - `INTERNAL`: a bug; report it.
 */
export const ERROR_CODES = [
  'INVALID',
  'UNAUTHENTICATED',
  'NOT_FOUND',
  'FORBIDDEN',
  'CONFLICT',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TOO_LARGE',
  'INTERNAL',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** WebSocket close codes used by the Parley server (4000-4999 are application codes). */
export const CLOSE_CODES = {
  /** Normal closure requested by either side. */
  NORMAL: 1000,
  /** The server is shutting down; reconnect (to another node) and resume. */
  GOING_AWAY: 1001,
  /** The frame was not valid (binary frame, not JSON at the protocol level). */
  UNSUPPORTED_DATA: 1003,
  /** A frame exceeded the maximum frame size. */
  TOO_LARGE: 1009,
  /** The server hit an unexpected failure setting the connection up; reconnect with backoff and resume. */
  INTERNAL_ERROR: 1011,
  /** Authentication failed or was not completed in time; do not retry with the same token. */
  UNAUTHENTICATED: 4001,
  /** The session was revoked (token no longer valid on re-validation). */
  SESSION_REVOKED: 4003,
  /** The user has too many open connections. */
  TOO_MANY_CONNECTIONS: 4008,
  /** The client did not answer heartbeats / stayed idle too long. */
  IDLE_TIMEOUT: 4010,
  /** The client could not keep up; its send buffer passed the bound. Reconnect and resume. */
  SLOW_CONSUMER: 4011,
  /** The client kept sending after being rate limited. */
  POLICY_VIOLATION: 4029,
  /** The server lost events it cannot replay (e.g. pub/sub outage); reconnect and resume. */
  RESUME_REQUIRED: 4012,
} as const;

/** Hard caps enforced by the schemas themselves. Engines may configure lower limits. */
export const HARD_LIMITS = {
  idLength: 128,
  textLength: 65_536,
  shortTextLength: 256,
  urlLength: 2048,
  attachments: 32,
  mentions: 256,
  membersPerRequest: 1000,
  pageSize: 200,
  metadataBytes: 16_384,
  metadataDepth: 8,
  emojiLength: 64,
  /** Conversations in one `markDeliveredMany` request. */
  receiptsPerRequest: 100,
} as const;

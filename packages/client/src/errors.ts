import type { ErrorBody, ErrorCode } from '@parley/protocol';

/**
 * Codes raised by the client itself, next to the server's {@link ErrorCode}s:
 * - `TIMEOUT`: no reply within `requestTimeoutMs` (the operation may still have happened).
 * - `DISCONNECTED`: the connection dropped before the reply came (the operation may still have happened).
 * - `CLOSED`: the client was closed with `client.close()`.
 * - `AUTH_FAILED`: the server rejected the token and no new one could be had.
 * - `SIGNED_OUT`: the message's user signed out of this client (or another user signed in); a
 *   saved message stays in that user's outbox storage and is sent when they sign in again.
 */
export type ClientErrorCode = 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'AUTH_FAILED' | 'SIGNED_OUT';

/** Every code a {@link ParleyError} can carry. */
export type ParleyErrorCode = ErrorCode | ClientErrorCode;

/**
 * The one error type the client rejects with. Check `code` (or {@link isParleyError}) rather than
 * `instanceof`: two copies of the package in one bundle break `instanceof`.
 */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  /** What went wrong; see {@link ParleyErrorCode}. */
  readonly code: ParleyErrorCode;
  /** For `INVALID`: which inputs were wrong, as dotted paths. */
  readonly issues?: Array<{ path: string; message: string }>;
  /** How long the server asked to wait before retrying (`RATE_LIMITED`, or an overloaded server's `UNAVAILABLE`). */
  readonly retryAfterMs?: number;

  constructor(code: ParleyErrorCode, message: string, details: Partial<Pick<ErrorBody, 'issues' | 'retryAfterMs'>> = {}) {
    super(message);
    this.code = code;
    if (details.issues) this.issues = details.issues;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/** True for a {@link ParleyError} from any copy of this package; narrows to a given code when one is passed. */
export function isParleyError(error: unknown, code?: ParleyErrorCode): error is ParleyError {
  if (typeof error !== 'object' || error === null || (error as { name?: unknown }).name !== 'ParleyError') return false;
  return code === undefined || (error as { code?: unknown }).code === code;
}

/**
 * How a failed request should be treated by a retrying caller (the outbox):
 * - `transient`: the request did not run or may be retried as is, and retrying later can succeed:
 *   `TIMEOUT`, `DISCONNECTED`, `UNAVAILABLE`, `RATE_LIMITED`, `CLOSED`, `AUTH_FAILED`, and any
 *   error carrying `retryAfterMs`. Retried with a backoff for as long as it takes.
 * - `permanent`: the same request will fail again: `INVALID`, `FORBIDDEN`, `NOT_FOUND`,
 *   `CONFLICT`, `TOO_LARGE`. Not retried.
 * - `uncertain`: anything else (`INTERNAL`, `UNAUTHENTICATED` on a live connection, an error
 *   that is not a {@link ParleyError}). Retried a bounded number of times.
 */
export function retryClass(error: unknown): 'transient' | 'permanent' | 'uncertain' {
  if (!isParleyError(error)) return 'uncertain';
  if (error.retryAfterMs !== undefined) return 'transient';
  switch (error.code) {
    case 'TIMEOUT':
    case 'DISCONNECTED':
    case 'UNAVAILABLE':
    case 'RATE_LIMITED':
    case 'CLOSED':
    case 'AUTH_FAILED':
    case 'SIGNED_OUT':
      return 'transient';
    case 'INVALID':
    case 'FORBIDDEN':
    case 'NOT_FOUND':
    case 'CONFLICT':
    case 'TOO_LARGE':
      return 'permanent';
    default:
      return 'uncertain';
  }
}

import type { ErrorBody, ErrorCode } from '@parley/protocol';

/**
 * Codes raised by the client itself, next to the server's {@link ErrorCode}s:
 * - `TIMEOUT`: no reply within `requestTimeoutMs` (the operation may still have happened).
 * - `DISCONNECTED`: the connection dropped before the reply came (the operation may still have happened).
 * - `CLOSED`: the client was closed with `client.close()`.
 * - `AUTH_FAILED`: the server rejected the token and no new one could be had.
 */
export type ClientErrorCode = 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'AUTH_FAILED';

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
  /** For `RATE_LIMITED`: how long the server asked to wait. */
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

/** Errors after which the same request may succeed when retried (transport trouble, overload). */
export function isTransient(error: unknown): boolean {
  if (!isParleyError(error)) return true;
  return ['TIMEOUT', 'DISCONNECTED', 'UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL'].includes(error.code);
}

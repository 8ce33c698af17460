import type { ErrorCode } from '@parley/protocol';
import type { z } from 'zod';

export type { ErrorCode };

/** Options of a {@link ChatError}. */
export interface ChatErrorOptions {
  /** The underlying error (a driver error for `UNAVAILABLE`). */
  cause?: unknown;
  /** For `INVALID`: which inputs were wrong. */
  issues?: Array<{ path: string; message: string }>;
  /** For `RATE_LIMITED`: how long to wait before retrying. */
  retryAfterMs?: number;
}

/**
 * The one error type the engine throws. Check `code` rather than `instanceof`: two copies of the
 * package in one program break `instanceof` (use {@link isChatError}).
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ErrorCode;
  readonly issues?: Array<{ path: string; message: string }>;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: ChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.issues) this.issues = options.issues;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** The error as it travels on the wire: code, message and details, never the cause. */
  toJSON(): { code: ErrorCode; message: string; issues?: Array<{ path: string; message: string }>; retryAfterMs?: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}

/** True for a {@link ChatError} from any copy of this package (optionally with the given code). */
export function isChatError(error: unknown, code?: ErrorCode): error is ChatError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ChatError' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (code === undefined || (error as { code: string }).code === code)
  );
}

/**
 * The issues zod found, as `{ path, message }` (at most 20). `path` joins the keys with dots, and is
 * `(root)` for the value itself; a key that is not allowed is reported at its own path
 * (`params.colour`), one issue per key, so a client sees which key to drop.
 */
export function issuesFromZod(error: z.ZodError): Array<{ path: string; message: string }> {
  const join = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(root)';
  return error.issues
    .flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ path: join([...i.path, key]), message: `unknown key ${JSON.stringify(key).slice(0, 80)}` }))
        : [{ path: join(i.path), message: i.message }],
    )
    .slice(0, 20);
}

/** An `INVALID` error listing the issues zod found (see {@link issuesFromZod}). */
export function invalidFromZod(error: z.ZodError, what = 'input'): ChatError {
  const issues = issuesFromZod(error);
  const first = issues[0];
  const message = first ? `invalid ${what}: ${first.path}: ${first.message}` : `invalid ${what}`;
  return new ChatError('INVALID', message, { issues });
}

/** Wrap anything thrown by a store or pub/sub into a ChatError (`UNAVAILABLE` unless it already is one). */
export function toUnavailable(error: unknown, what: string): ChatError {
  if (isChatError(error)) return error;
  return new ChatError('UNAVAILABLE', `${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** Shorthand constructors used by the engine and adapters. */
export const errors = {
  invalid: (message: string) => new ChatError('INVALID', message),
  notFound: (message: string) => new ChatError('NOT_FOUND', message),
  forbidden: (message: string) => new ChatError('FORBIDDEN', message),
  conflict: (message: string) => new ChatError('CONFLICT', message),
  /** The same error for "does not exist" and "you may not know it exists". */
  noConversation: () => new ChatError('FORBIDDEN', 'not a member of this conversation, or it does not exist'),
  noMessage: () => new ChatError('NOT_FOUND', 'message not found'),
};

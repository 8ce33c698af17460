import type { ErrorBody, ErrorCode, PushFrame, RequestId } from '@parley/protocol';
import { isChatError } from '@parley/core';

const GENERIC: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'internal error',
  UNAVAILABLE: 'service temporarily unavailable; retry later',
};

/**
 * The wire form of anything thrown by an operation. ChatErrors keep code, message and details,
 * except `INTERNAL` and `UNAVAILABLE`, whose messages may describe internals and are replaced by
 * generic text. Anything else becomes `INTERNAL`.
 */
export function toErrorBody(error: unknown): ErrorBody {
  if (!isChatError(error)) return { code: 'INTERNAL', message: 'internal error' };
  const generic = GENERIC[error.code];
  if (generic) return { code: error.code, message: generic };
  const body: ErrorBody = { code: error.code, message: error.message };
  if (error.issues) body.issues = error.issues;
  if (error.retryAfterMs !== undefined) body.retryAfterMs = error.retryAfterMs;
  return body;
}

/** Serialise a successful reply. */
export function okFrame(id: RequestId, result: unknown): string {
  return JSON.stringify({ id, ok: true, result: result === undefined ? null : result });
}

/** Serialise a failed reply. */
export function errorFrame(id: RequestId | null, error: ErrorBody): string {
  return JSON.stringify({ id, ok: false, error });
}

/** Serialise a push once, as the bytes sent to every socket. */
export function pushBytes(push: PushFrame): Buffer {
  return Buffer.from(JSON.stringify(push));
}

/** The request id of a parsed frame when it has a usable one, else null (for error replies). */
export function salvageId(frame: unknown): RequestId | null {
  if (typeof frame !== 'object' || frame === null) return null;
  const id = (frame as { id?: unknown }).id;
  if (typeof id === 'string' && id.length > 0 && id.length <= 64) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  return null;
}

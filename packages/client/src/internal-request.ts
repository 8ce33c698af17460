import type { Connection } from './connection.js';
import { ParleyError, isParleyError } from './errors.js';
import type { ClientOpName } from './ops.js';

/** A request of the client's own (resume, gap fetch, sync), see {@link internalRequester}. */
export type InternalRequest = <R>(op: ClientOpName, params: unknown) => Promise<R>;

/**
 * Internal requests (resume, gap fetches, syncs): sent while resuming; waits and retries when rate
 * limited or told to come back (`retryAfterMs`). They run while holding the ordered queue, so the
 * whole call, retries included, is bounded by `timeoutMs`: a TIMEOUT fails the step, and the
 * repair round retries it.
 */
export function internalRequester(conn: Connection, timeoutMs: number): InternalRequest {
  return async <R>(op: ClientOpName, params: unknown): Promise<R> => {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new ParleyError('TIMEOUT', `${op}: no reply within ${timeoutMs} ms`);
      try {
        return await conn.request<R>(op, params, { immediate: true, timeoutMs: left });
      } catch (error) {
        if (!isParleyError(error) || (error.code !== 'RATE_LIMITED' && error.retryAfterMs === undefined) || attempt >= 5) throw error;
        const wait = error.retryAfterMs ?? 250 * 2 ** attempt;
        if (wait >= deadline - Date.now()) throw error;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
}

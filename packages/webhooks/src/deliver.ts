import type { ConversationEvent } from '@parley/protocol';
import { payloadOf } from './payload.js';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** The outcome of one POST. */
export interface DeliveryAttempt {
  ok: boolean;
  /** HTTP status, or null when there was no response (refused, reset, timed out). */
  status: number | null;
  /** Why it failed, when it did. */
  error?: string;
  durationMs: number;
}

/** What {@link post} needs of an endpoint. */
export interface PostTarget {
  id: string;
  url: string;
  secrets: readonly string[];
  timeoutMs: number;
}

/** The fetch function used for deliveries (the global `fetch` by default). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; body?: unknown; arrayBuffer?: () => Promise<unknown> }>;

/** POST one event, signed, with a timeout. A 2xx status is success; anything else, or no answer in time, is a failure. */
export async function post(fetchFn: FetchLike, target: PostTarget, event: ConversationEvent, now: number): Promise<DeliveryAttempt> {
  const body = JSON.stringify(payloadOf(target.id, event));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'parley-webhooks',
    [DELIVERY_ID_HEADER]: `${event.conversationId}:${event.seq}`,
    [SIGNATURE_HEADER]: signatureHeader(target.secrets, Math.floor(now / 1000), body),
  };
  const started = performance.now();
  try {
    const res = await fetchFn(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(target.timeoutMs) });
    await res.arrayBuffer?.().catch(() => undefined); // read the answer so the connection is reused
    const durationMs = performance.now() - started;
    return res.status >= 200 && res.status < 300 ? { ok: true, status: res.status, durationMs } : { ok: false, status: res.status, error: `HTTP ${res.status}`, durationMs };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, status: null, error: timedOut ? `no answer within ${target.timeoutMs} ms` : error instanceof Error ? error.message : String(error), durationMs: performance.now() - started };
  }
}

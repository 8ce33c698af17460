import { createHmac, timingSafeEqual } from 'node:crypto';
import { ChatError } from '@parley/core';

/**
 * The header carrying the signature: `Parley-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
 * HMAC-SHA256 with the endpoint's secret over `<t>.<raw body>` (the timestamp, a dot, the exact bytes
 * of the body). Several `v1=` entries may appear (one per secret while a secret is rotated); a
 * receiver accepts the request when any of them matches.
 */
export const SIGNATURE_HEADER = 'parley-signature';

/** The header with the delivery's idempotency key, `<conversationId>:<seq>` (the same on every retry). */
export const DELIVERY_ID_HEADER = 'parley-webhook-id';

/** The hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The value of the {@link SIGNATURE_HEADER} for a body sent at `timestamp` (unix seconds), one `v1` per secret. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}

/** Input of {@link verifyWebhook}. */
export interface VerifyWebhookInput {
  /** The raw request body, exactly as received (a string or the bytes); not re-serialised JSON. */
  body: string | Uint8Array;
  /** The value of the `Parley-Signature` header (an array when the header was repeated). */
  header: string | string[] | undefined | null;
  /** The endpoint's secret, or several (during a rotation): any one matching is enough. */
  secret: string | readonly string[];
  /** How far the timestamp may be from now, in seconds (replay protection). Default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock, ms. Default `Date.now()`. */
  now?: number;
}

const fail = (why: string): never => {
  throw new ChatError('UNAUTHENTICATED', `webhook signature rejected: ${why}`);
};

/**
 * Check a webhook request on a Node receiver and return its parsed JSON body. Throws
 * `ChatError('UNAUTHENTICATED')` when the header is missing or malformed, the timestamp is outside
 * the tolerance, or no signature matches (the body or timestamp was changed, or the secret differs).
 * Compares in constant time.
 *
 * ```ts
 * import { verifyWebhook, type WebhookPayload } from '@parley/webhooks';
 *
 * function onRequest(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookPayload {
 *   return verifyWebhook({ body: rawBody, header: headers['parley-signature'], secret: 'whsec-from-config' });
 * }
 * ```
 */
export function verifyWebhook<T = import('./payload.js').WebhookPayload>(input: VerifyWebhookInput): T {
  const header = Array.isArray(input.header) ? input.header.join(',') : input.header;
  if (typeof header !== 'string' || header.length === 0) fail('no Parley-Signature header');
  const parts = header!.split(',').map((p) => p.trim().split('=') as [string, string | undefined]);
  const timestamps = parts.filter(([k]) => k === 't').map(([, v]) => Number(v));
  const signatures = parts.filter(([k, v]) => k === 'v1' && typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => Buffer.from(v!, 'hex'));
  if (timestamps.length !== 1 || !Number.isInteger(timestamps[0])) fail('the header needs exactly one integer t=');
  if (signatures.length === 0) fail('the header has no v1= signature');
  const t = timestamps[0]!;
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (input.toleranceSeconds ?? 300)) fail('the timestamp is outside the tolerance');
  const body = typeof input.body === 'string' ? input.body : Buffer.from(input.body).toString('utf8');
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  const ok = secrets.some((secret) => {
    const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
    return signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  });
  if (!ok) fail('no signature matches');
  try {
    return JSON.parse(body) as T;
  } catch {
    return fail('the body is not JSON');
  }
}

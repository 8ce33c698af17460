/**
 * `@parley/webhooks`: webhooks on Parley's change feed, and {@link verifyWebhook} for receivers.
 * See docs/feed-and-webhooks.md.
 * @module
 */
export { createWebhooks, WebhookDeliveryError, type Webhooks, type WebhooksOptions, type WebhookEndpoint, type WebhookRetry } from './webhooks.js';
export { verifyWebhook, signatureOf, signatureHeader, SIGNATURE_HEADER, DELIVERY_ID_HEADER, type VerifyWebhookInput } from './signature.js';
export type { WebhookPayload } from './payload.js';
export type { DeliveryAttempt, FetchLike } from './deliver.js';

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isChatError } from '@parley/core';
import { verifyWebhook, type WebhookPayload } from '@parley/webhooks';

/** A running {@link startWebhookReceiver}. */
export interface WebhookReceiver {
  url: string;
  /** Every verified payload, once per id (retries of a delivery already seen are acknowledged and dropped). */
  payloads: WebhookPayload[];
  /** Requests refused because their signature did not verify. */
  rejected: number;
  close(): Promise<void>;
}

/**
 * The other side of a webhook: a small service of the host (a CRM sync, an indexer) that checks
 * each request's signature with `verifyWebhook`, answers 401 to anything unsigned or tampered with,
 * and deduplicates by the payload's `id`, since delivery is at least once.
 */
export async function startWebhookReceiver(options: { secret: string; port?: number }): Promise<WebhookReceiver> {
  const seen = new Set<string>();
  const receiver: WebhookReceiver = { url: '', payloads: [], rejected: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const payload = verifyWebhook<WebhookPayload>({ body: Buffer.concat(chunks), header: req.headers['parley-signature'], secret: options.secret });
        if (!seen.has(payload.id)) {
          seen.add(payload.id);
          receiver.payloads.push(payload);
        }
        res.writeHead(204).end();
      } catch (error) {
        if (!isChatError(error, 'UNAUTHENTICATED')) throw error;
        receiver.rejected += 1;
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/parley`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

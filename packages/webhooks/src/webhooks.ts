import { ChatError, createFeed, feedStoreOf, type Chat, type Feed, type FeedLag, type FeedParked } from '@parley/core';
import type { EventType } from '@parley/protocol';
import { post, type DeliveryAttempt, type FetchLike } from './deliver.js';

/** A receiver of webhooks. */
export interface WebhookEndpoint {
  /** Stable id (1–100 of `A-Za-z0-9_.-`): its feed consumer is `webhook:<id>`, so changing it starts over from the first event. */
  id: string;
  /** `http:` or `https:` URL the events are POSTed to. */
  url: string;
  /** The signing secret, or several while rotating (each gets a `v1=` signature). */
  secret: string | readonly string[];
  /** Only these event types are sent. Default: all. */
  types?: readonly EventType[];
  /** How long to wait for an answer before counting the attempt as failed. Default 10 s. */
  timeoutMs?: number;
}

/** Retry schedule of failed deliveries. */
export interface WebhookRetry {
  /** First retry after about this long; each next one waits twice as long (±20% jitter). Default 1 s. */
  baseMs?: number;
  /** Longest wait between two attempts. Default 1 h. */
  maxDelayMs?: number;
  /** After failing for this long, the event goes to the dead letters and the conversation moves on. Default 24 h. */
  giveUpAfterMs?: number;
}

/** Options of {@link createWebhooks}. */
export interface WebhooksOptions {
  /** The engine whose change feed the webhooks follow. */
  chat: Pick<Chat, 'store' | 'clock' | 'on'>;
  endpoints: readonly WebhookEndpoint[];
  retry?: WebhookRetry;
  /** Passed to each endpoint's feed consumer (see `createFeed`): poll period, batch size, lease. */
  feed?: { pollMs?: number; batchSize?: number; concurrency?: number; lease?: { ttlMs?: number; holder?: string } | false };
  /** The HTTP client. Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Called after every attempt (for logs and metrics). */
  onAttempt?(info: { endpointId: string; conversationId: string; seq: number; attempt: DeliveryAttempt }): void;
  /** Called with failures of the feed itself (store errors). */
  onError?(error: unknown): void;
}

/** Webhook delivery for a set of endpoints. */
export interface Webhooks {
  /** Start delivering in the background. */
  start(): void;
  /** Stop after the attempts in flight, releasing the feed leases. */
  stop(): Promise<void>;
  /** Deliver everything pending now (tests, scripts): one pass of every endpoint's feed. */
  runOnce(): Promise<void>;
  /** The endpoint's dead letters, by (conversationId, seq), after the keyset cursor. */
  deadLetters(endpointId: string, query?: { after?: { conversationId: string; seq: number }; limit?: number }): Promise<FeedParked[]>;
  /** POST a dead letter again (once); on success it leaves the dead-letter list. */
  replay(endpointId: string, key: { conversationId: string; seq: number }): Promise<DeliveryAttempt>;
  /** How far behind the endpoint is. */
  lag(endpointId: string): Promise<FeedLag>;
}

/** A delivery that failed and will be retried by the feed. */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  constructor(
    readonly endpointId: string,
    readonly attempt: DeliveryAttempt,
  ) {
    super(`webhook ${endpointId}: ${attempt.error ?? 'failed'}`);
  }
}

const ENDPOINT_ID = /^[A-Za-z0-9_.-]{1,100}$/;

function checkEndpoint(e: WebhookEndpoint): void {
  if (typeof e.id !== 'string' || !ENDPOINT_ID.test(e.id)) throw new ChatError('INVALID', `webhook endpoint id must be 1-100 of A-Za-z0-9_.- (got ${JSON.stringify(e.id)})`);
  let protocol = '';
  try {
    protocol = new URL(e.url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new ChatError('INVALID', `webhook endpoint ${e.id}: url must be http: or https:`);
  const secrets = typeof e.secret === 'string' ? [e.secret] : e.secret;
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 8)) throw new ChatError('INVALID', `webhook endpoint ${e.id}: secret must be at least 8 characters`);
  if (e.timeoutMs !== undefined && !(Number.isInteger(e.timeoutMs) && e.timeoutMs > 0)) throw new ChatError('INVALID', `webhook endpoint ${e.id}: timeoutMs must be a positive integer`);
}

/**
 * Webhooks on the change feed: every endpoint has its own durable feed consumer (`webhook:<id>`),
 * so a failing endpoint never holds up another. Events are POSTed one at a time, per conversation
 * in seq order; a failed attempt is retried with exponential backoff and jitter (the rest of that
 * conversation waits, to keep the order; other conversations go on) until `giveUpAfterMs`, then the
 * event is parked on the dead-letter list, and the conversation continues. Delivery is at least once:
 * receivers deduplicate by the payload's `id`.
 *
 * ```ts
 * import { createChat, createMemoryStore } from '@parley/core';
 * import { createWebhooks } from '@parley/webhooks';
 *
 * const chat = createChat({ store: createMemoryStore() });
 * const webhooks = createWebhooks({
 *   chat,
 *   endpoints: [{ id: 'crm', url: 'https://crm.example.com/hooks/parley', secret: 'whsec-0123456789', types: ['message'] }],
 * });
 * webhooks.start();
 * ```
 */
export function createWebhooks(options: WebhooksOptions): Webhooks {
  const store = feedStoreOf(options.chat);
  const ids = new Set<string>();
  for (const e of options.endpoints) {
    checkEndpoint(e);
    if (ids.has(e.id)) throw new ChatError('INVALID', `webhook endpoint id ${e.id} is used twice`);
    ids.add(e.id);
  }
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const clock = options.chat.clock;
  const giveUpAfterMs = options.retry?.giveUpAfterMs ?? 24 * 3600_000;
  const consumerOf = (id: string) => `webhook:${id}`;
  const targets = new Map(
    options.endpoints.map((e) => [e.id, { id: e.id, url: e.url, secrets: typeof e.secret === 'string' ? [e.secret] : [...e.secret], timeoutMs: e.timeoutMs ?? 10_000 }]),
  );
  /** When each failing event first failed in this process (key: endpoint, conversation, seq). */
  const failingSince = new Map<string, number>();

  const attempt = async (endpointId: string, event: Parameters<typeof post>[2]) => {
    const result = await post(fetchFn, targets.get(endpointId)!, event, clock.now());
    try {
      options.onAttempt?.({ endpointId, conversationId: event.conversationId, seq: event.seq, attempt: result });
    } catch {
      // a failing observer must not change delivery
    }
    return result;
  };

  const feeds: Feed[] = options.endpoints.map((endpoint) =>
    createFeed({
      chat: options.chat,
      name: consumerOf(endpoint.id),
      ...(endpoint.types ? { types: endpoint.types } : {}),
      ...options.feed,
      retry: { baseMs: options.retry?.baseMs ?? 1000, maxMs: options.retry?.maxDelayMs ?? 3600_000 },
      ...(options.onError ? { onError: (error: unknown) => (error instanceof WebhookDeliveryError ? undefined : options.onError!(error)) } : {}),
      async handle({ conversationId, events, checkpoint }) {
        for (const event of events) {
          const key = `${endpoint.id}\u0000${conversationId}\u0000${event.seq}`;
          const result = await attempt(endpoint.id, event);
          const now = clock.now();
          if (!result.ok) {
            const since = failingSince.get(key) ?? now;
            if (now - since < giveUpAfterMs) {
              failingSince.set(key, since);
              throw new WebhookDeliveryError(endpoint.id, result);
            }
            await store.park({ consumer: consumerOf(endpoint.id), conversationId, seq: event.seq, reason: result.error ?? 'failed', at: now });
          }
          failingSince.delete(key);
          checkpoint(event.seq);
        }
      },
    }),
  );
  const known = (endpointId: string) => {
    if (!targets.has(endpointId)) throw new ChatError('NOT_FOUND', `no webhook endpoint ${endpointId}`);
    return consumerOf(endpointId);
  };
  const feedOf = (endpointId: string) => feeds[options.endpoints.findIndex((e) => e.id === endpointId)]!;

  return {
    start: () => feeds.forEach((f) => f.start()),
    stop: async () => void (await Promise.all(feeds.map((f) => f.stop()))),
    runOnce: async () => void (await Promise.all(feeds.map((f) => f.runOnce()))),
    deadLetters: (endpointId, query = {}) => store.parked({ consumer: known(endpointId), limit: query.limit ?? 100, ...(query.after ? { after: query.after } : {}) }),
    async replay(endpointId, { conversationId, seq }) {
      const consumer = known(endpointId);
      const [event] = await options.chat.store.events({ conversationId, after: seq - 1, limit: 1, timelineOnly: false });
      if (!event || event.seq !== seq) throw new ChatError('NOT_FOUND', `no event ${conversationId}:${seq}`);
      const result = await attempt(endpointId, event);
      if (result.ok) await store.unpark({ consumer, conversationId, seq });
      return result;
    },
    lag: (endpointId) => {
      known(endpointId);
      return feedOf(endpointId).lag();
    },
  };
}

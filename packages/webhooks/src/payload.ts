import type { ConversationEvent, EventType } from '@parley/protocol';

/**
 * The JSON body of a webhook request: one event. `id` is the idempotency key
 * `<conversationId>:<seq>` (also in the `Parley-Webhook-Id` header): a receiver that has seen it
 * before MUST treat the request as done (delivery is at least once).
 */
export interface WebhookPayload {
  id: string;
  /** The endpoint this delivery is for. */
  endpointId: string;
  type: EventType;
  conversationId: string;
  seq: number;
  /** When the event was committed (ms since epoch, the engine's clock). */
  at: number;
  /** The event as the store returns it (message events carry the message's current state). */
  event: ConversationEvent;
}

/** The payload of one event for one endpoint. */
export function payloadOf(endpointId: string, event: ConversationEvent): WebhookPayload {
  return { id: `${event.conversationId}:${event.seq}`, endpointId, type: event.type, conversationId: event.conversationId, seq: event.seq, at: event.at, event };
}

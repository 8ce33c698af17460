import type { ConversationEvent, Presence, PushFrame, Receipt } from '@parley/protocol';

/**
 * What travels on the pub/sub bus between engine instances and transports. Plain JSON: adapters
 * serialise it with `JSON.stringify` and MUST deliver an equal value.
 */
export type BusMessage =
  /** A committed event; published on the conversation topic, and on the user topic of a member who joined or left. */
  | { t: 'event'; event: ConversationEvent }
  /** Watermarks moved; published on the conversation topic. */
  | { t: 'receipt'; receipt: Receipt }
  /** Typing signal; published on the conversation topic. */
  | { t: 'typing'; conversationId: string; userId: string; typing: boolean; expiresInMs: number }
  /** Presence changed; published on the user's presence topic. */
  | { t: 'presence'; presence: Presence }
  /** A push meant for every device of one user (contact changes, mute, delete-for-me, call signalling). */
  | { t: 'push'; userId: string; push: PushFrame }
  /** The user is being erased; published on the user topic. Transports close the user's connections. */
  | { t: 'user.erased'; userId: string };

/** Topic names. Adapters treat them as opaque strings. */
export const topics = {
  /** Everything that happens in a conversation. */
  conversation: (id: string) => `c:${id}`,
  /** Things for all devices of one user. */
  user: (id: string) => `u:${id}`,
  /** Online/offline changes of one user. */
  presence: (id: string) => `p:${id}`,
} as const;

/** Stops a subscription. Idempotent. */
export type Unsubscribe = () => Promise<void>;

/**
 * Fan-out between engine instances and transports.
 *
 * Contract:
 * - Every message published on a topic MUST reach every handler subscribed to that topic at the
 *   time of publishing (in this process and in every other process sharing the bus), at most once
 *   per subscription.
 * - Messages published on one topic by one process MUST reach each handler in publish order.
 * - `subscribe` resolves once the subscription is active: a message published after it resolves
 *   MUST be delivered.
 * - Handlers are called asynchronously (never inside `publish`), and an exception in one handler
 *   MUST NOT affect other handlers or the bus.
 * - When the adapter may have lost messages (a broker connection dropped and came back), it MUST
 *   call the `onReset` listeners so transports tell their clients to resume.
 */
export interface PubSub {
  /** Publish a message on a topic. Resolves when the bus accepted it. */
  publish(topic: string, message: BusMessage): Promise<void>;
  /** Subscribe a handler to a topic. Several handlers may subscribe to one topic. */
  subscribe(topic: string, handler: (message: BusMessage) => void): Promise<Unsubscribe>;
  /** Register a listener for possible message loss. Returns a function that removes it. Optional. */
  onReset?(listener: (reason: string) => void): () => void;
  /** Release connections. Optional. */
  close?(): Promise<void>;
}

/** The in-process bus: the reference implementation, for one process. */
export function createMemoryPubSub(): PubSub {
  // one record per subscription, so the same function can be subscribed twice and removed independently
  const handlers = new Map<string, Set<{ readonly handler: (message: BusMessage) => void }>>();
  return {
    async publish(topic, message) {
      const set = handlers.get(topic);
      if (!set || set.size === 0) return;
      const payload = JSON.stringify(message);
      for (const subscription of [...set]) {
        queueMicrotask(() => {
          try {
            subscription.handler(JSON.parse(payload) as BusMessage);
          } catch {
            // a failing handler must not affect the others
          }
        });
      }
    },
    async subscribe(topic, handler) {
      let set = handlers.get(topic);
      if (!set) handlers.set(topic, (set = new Set()));
      const subscription = { handler };
      set.add(subscription);
      return async () => {
        const current = handlers.get(topic);
        if (!current) return;
        current.delete(subscription);
        if (current.size === 0) handlers.delete(topic);
      };
    },
    onReset() {
      return () => {};
    },
    async close() {
      handlers.clear();
    },
  };
}

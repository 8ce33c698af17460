import type { FeedParked, FeedStore } from './feed-store.js';

const key = (...parts: string[]) => parts.join('\u0000');

/**
 * The in-memory {@link FeedStore} of the memory store: `lastSeqs` reads the store's conversations.
 * Every method runs synchronously inside its promise, so each is atomic.
 */
export function createMemoryFeedStore(lastSeqs: () => Iterable<[string, { lastSeq: number }]>): FeedStore {
  const cursors = new Map<string, number>();
  const leases = new Map<string, { holder: string; expiresAt: number }>();
  const dead = new Map<string, FeedParked & { consumer: string }>();
  return {
    async pending({ consumer, afterConversationId, limit }) {
      const out = [];
      for (const [conversationId, c] of lastSeqs()) {
        if (afterConversationId !== undefined && conversationId <= afterConversationId) continue;
        const cursor = cursors.get(key(consumer, conversationId)) ?? 0;
        if (c.lastSeq > cursor) out.push({ conversationId, cursor, lastSeq: c.lastSeq });
      }
      return out.sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1)).slice(0, limit);
    },
    async saveCursor({ consumer, conversationId, seq }) {
      const k = key(consumer, conversationId);
      cursors.set(k, Math.max(seq, cursors.get(k) ?? 0));
    },
    async takeLease({ consumer, holder, now, ttlMs }) {
      const held = leases.get(consumer);
      if (held && held.holder !== holder && held.expiresAt > now) return false;
      leases.set(consumer, { holder, expiresAt: now + ttlMs });
      return true;
    },
    async releaseLease({ consumer, holder }) {
      if (leases.get(consumer)?.holder === holder) leases.delete(consumer);
    },
    async park({ consumer, conversationId, seq, reason, at }) {
      dead.set(key(consumer, conversationId, String(seq)), { consumer, conversationId, seq, reason, at });
    },
    async parked({ consumer, after, limit }) {
      return [...dead.values()]
        .filter((d) => d.consumer === consumer)
        .filter((d) => !after || d.conversationId > after.conversationId || (d.conversationId === after.conversationId && d.seq > after.seq))
        .sort((a, b) => (a.conversationId === b.conversationId ? a.seq - b.seq : a.conversationId < b.conversationId ? -1 : 1))
        .slice(0, limit)
        .map(({ conversationId, seq, reason, at }) => ({ conversationId, seq, reason, at }));
    },
    async unpark({ consumer, conversationId, seq }) {
      return dead.delete(key(consumer, conversationId, String(seq)));
    },
  };
}

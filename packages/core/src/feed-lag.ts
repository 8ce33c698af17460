import type { FeedStore } from './feed-store.js';
import type { ChatStore } from './store.js';

/** How far behind a feed consumer is. */
export interface FeedLag {
  /** Events committed and not yet processed (sum over conversations of lastSeq - cursor). */
  events: number;
  /** Conversations with unprocessed events. */
  conversations: number;
  /** Commit time (`at`, engine clock) of the oldest unprocessed event, or null when none. */
  oldestAt: number | null;
  /** `now - oldestAt`, or null when nothing is pending. */
  oldestAgeMs: number | null;
  /** False when the count stopped at `maxConversations` (the figures are then lower bounds). */
  complete: boolean;
}

/** Walk the consumer's pending conversations and read the first unprocessed event of each. */
export async function feedLag(input: {
  store: FeedStore;
  events: Pick<ChatStore, 'events'>;
  consumer: string;
  now: number;
  maxConversations: number;
}): Promise<FeedLag> {
  const lag: FeedLag = { events: 0, conversations: 0, oldestAt: null, oldestAgeMs: null, complete: true };
  let after: string | undefined;
  for (;;) {
    const limit = Math.min(100, input.maxConversations - lag.conversations);
    if (limit <= 0) {
      lag.complete = false;
      break;
    }
    const page = await input.store.pending({ consumer: input.consumer, limit, ...(after === undefined ? {} : { afterConversationId: after }) });
    for (const p of page) {
      lag.events += p.lastSeq - p.cursor;
      lag.conversations += 1;
      const [first] = await input.events.events({ conversationId: p.conversationId, after: p.cursor, limit: 1, timelineOnly: false });
      if (first && (lag.oldestAt === null || first.at < lag.oldestAt)) lag.oldestAt = first.at;
    }
    if (page.length < limit) break;
    after = page[page.length - 1]!.conversationId;
  }
  lag.oldestAgeMs = lag.oldestAt === null ? null : Math.max(0, input.now - lag.oldestAt);
  return lag;
}

/**
 * The part of a store the change feed needs ({@link ChatStore.feed}).
 *
 * Why per-conversation cursors and not one global position: seqs are per conversation, and commits
 * of different conversations interleave. A global position assigned at insert (a `bigserial`, an
 * insertion counter) is not assigned in commit order, so a reader that has seen position 100 can
 * later find 99 committed, and a cursor past it would skip 99 forever. A consumer's cursor here is
 * one seq per conversation instead, and the store's invariant 1 (ordered, gap-free visibility per
 * conversation: once seq n is visible, no smaller seq appears later) makes "the events of this
 * conversation after my seq" a read that can never skip: an event not yet visible has a larger seq
 * than any visible one, so it is read by a later poll.
 *
 * The price: finding the conversations that moved is a walk over the conversations (joined to the
 * consumer's cursors), paged by conversation id, so an idle poll costs O(conversations) in the
 * database rather than O(new events). See docs/feed-and-webhooks.md.
 */
export interface FeedStore {
  /**
   * Conversations whose `lastSeq` is greater than the consumer's cursor for them (0 when the
   * consumer has none), with conversation id greater than `afterConversationId`, ordered by
   * conversation id ascending, at most `limit`. Paging by this keyset MUST list every such
   * conversation. Only committed, readable conversations are listed.
   */
  pending(query: { consumer: string; afterConversationId?: string; limit: number }): Promise<FeedPending[]>;

  /**
   * Move the consumer's cursor for a conversation to `seq`. MUST NEVER move it backwards (keep the
   * maximum, also under concurrent calls from two holders), so that a stale node can only cause a
   * re-delivery, never a skip. MUST be durable when it resolves (for persistent stores).
   */
  saveCursor(input: { consumer: string; conversationId: string; seq: number }): Promise<void>;

  /**
   * Take or renew the consumer's lease for `holder` until `now + ttlMs`. MUST succeed (return true)
   * when no lease exists, when `holder` already holds it, or when the held lease expired
   * (`expiresAt <= now`); MUST otherwise return false and change nothing. Exactly one of two
   * concurrent callers with different holders MUST succeed on a free lease. `now` is the caller's
   * clock: nodes' clocks must agree within a small fraction of `ttlMs`.
   */
  takeLease(input: { consumer: string; holder: string; now: number; ttlMs: number }): Promise<boolean>;

  /** Give the lease up if `holder` holds it (another holder can take it at once). No-op otherwise. */
  releaseLease(input: { consumer: string; holder: string }): Promise<void>;

  /**
   * Put an event on the consumer's dead-letter list (the consumer gave up on it). Idempotent per
   * (consumer, conversationId, seq): a second call keeps one entry, with the latest reason and time.
   */
  park(input: { consumer: string; conversationId: string; seq: number; reason: string; at: number }): Promise<void>;

  /** The consumer's dead letters ordered by (conversationId, seq), after the keyset cursor, at most `limit`. */
  parked(query: { consumer: string; after?: { conversationId: string; seq: number }; limit: number }): Promise<FeedParked[]>;

  /** Remove a dead letter. Returns whether it existed. */
  unpark(input: { consumer: string; conversationId: string; seq: number }): Promise<boolean>;
}

/** One conversation with events the consumer has not processed. */
export interface FeedPending {
  conversationId: string;
  /** The consumer's cursor: every event up to this seq was processed. */
  cursor: number;
  /** The conversation's lastSeq when read. */
  lastSeq: number;
}

/** A dead letter: an event a consumer gave up on. */
export interface FeedParked {
  conversationId: string;
  seq: number;
  reason: string;
  /** When it was parked (engine clock, ms). */
  at: number;
}

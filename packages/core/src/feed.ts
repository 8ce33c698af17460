import type { ConversationEvent, EventType } from '@parley/protocol';
import type { Chat } from './chat.js';
import { ChatError, toUnavailable } from './errors.js';
import type { FeedPending, FeedStore } from './feed-store.js';
import { feedLag, type FeedLag } from './feed-lag.js';

/** What a feed handler receives: new events of one conversation, in ascending seq order. */
export interface FeedBatch {
  /** The consumer's name. */
  consumer: string;
  conversationId: string;
  /** The events after the consumer's cursor (only the types asked for), ascending seq, none skipped. */
  events: ConversationEvent[];
  /**
   * Record that every event up to `seq` is processed. When the handler then throws, the cursor
   * moves to the last checkpoint, and the batch is retried from the event after it.
   */
  checkpoint(seq: number): void;
}

/** Options of {@link createFeed}. */
export interface FeedOptions {
  /** The engine whose store holds the events and the feed's state (`store.feed`). */
  chat: Pick<Chat, 'store' | 'clock' | 'on'>;
  /** The consumer's durable name: its cursors and lease are kept under it. 1–200 characters. */
  name: string;
  /**
   * Process one batch. Resolving moves the consumer's cursor past the batch; throwing leaves it at
   * the last {@link FeedBatch.checkpoint} and retries the conversation later (with backoff), while
   * other conversations go on. Delivery is at least once: after a crash or a lease takeover, events
   * processed but not yet saved are delivered again. Idempotency key: (conversationId, seq).
   */
  handle(batch: FeedBatch): Promise<void> | void;
  /** Only these event types reach the handler (the cursor still moves past the others). Default: all. */
  types?: readonly EventType[];
  /** Most events of one conversation per batch. Default 100. */
  batchSize?: number;
  /** Conversations read per page of pending work. Default 100. */
  pageSize?: number;
  /** Conversations processed at the same time (each conversation stays in order). Default 4. */
  concurrency?: number;
  /** How often to look for work when idle (another node's events, or the lease). Default 500 ms. */
  pollMs?: number;
  /**
   * After an event committed in this process wakes the feed, wait this long before reading, so
   * that a burst of commits is read in one pass (bigger batches, fewer queries). Default 25 ms.
   */
  wakeDelayMs?: number;
  /**
   * One node at a time: the consumer holds a lease in the store, renewed while it works; another
   * node takes over at most `ttlMs` (plus one poll) after the holder stops renewing. `false` turns
   * it off (one process only, or the host partitions by itself). Default `{ ttlMs: 10_000 }` with a
   * random holder id.
   */
  lease?: { ttlMs?: number; holder?: string } | false;
  /** Backoff after a failed batch: `baseMs * 2^(failures-1)`, at most `maxMs`, with ±20% jitter. Default 1 s, 60 s. */
  retry?: { baseMs?: number; maxMs?: number };
  /** Called with every failure (a handler error, or a store error of a poll). */
  onError?(error: unknown, context: { conversationId?: string }): void;
}

/** What one {@link Feed.runOnce} did. */
export interface FeedRunResult {
  /** False when another node holds the lease: nothing was processed, or the pass stopped when the lease was lost. */
  leased: boolean;
  /** Events consumed (delivered or skipped by the type filter). */
  events: number;
  /** Batches whose handler threw. */
  failures: number;
}

/** A running consumer of the change feed. */
export interface Feed {
  readonly name: string;
  /** The lease holder id of this node. */
  readonly holder: string;
  /** Whether this node held the lease at its last attempt (always true without a lease). */
  readonly leased: boolean;
  /** Start polling in the background (also woken by events committed in this process). */
  start(): void;
  /** Stop polling, wait for the batch in progress, and release the lease. */
  stop(): Promise<void>;
  /** Process everything pending now (when the lease is ours), until nothing is left or everything left is backing off. */
  runOnce(): Promise<FeedRunResult>;
  /** How far behind this consumer is. Cost: O(conversations with pending events). */
  lag(options?: { maxConversations?: number }): Promise<FeedLag>;
}

const randomHolder = () => `node-${Math.random().toString(36).slice(2, 10)}`;

function positive(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new ChatError('INVALID', `feed option ${what} must be a positive integer`);
  return v;
}

/** The store's feed part, or a clear error when the store has none. */
export function feedStoreOf(chat: Pick<Chat, 'store'>): FeedStore {
  const feed = chat.store.feed;
  if (!feed) throw new ChatError('INVALID', 'this store has no change feed (ChatStore.feed is missing)');
  return feed;
}

/**
 * A named, durable consumer of every committed event, per conversation in seq order, at least
 * once, resumable from its stored cursors after any crash. It reads the store on its own schedule,
 * so a slow consumer never slows sends: it only falls behind (see {@link Feed.lag}).
 *
 * ```ts
 * import { createChat, createFeed, createMemoryStore } from '@parley/core';
 *
 * const chat = createChat({ store: createMemoryStore() });
 * const feed = createFeed({
 *   chat,
 *   name: 'search-indexer',
 *   types: ['message'],
 *   async handle({ conversationId, events }) {
 *     for (const e of events) console.log(conversationId, e.seq);
 *   },
 * });
 * feed.start();
 * ```
 */
export function createFeed(options: FeedOptions): Feed {
  if (typeof options.name !== 'string' || options.name.length < 1 || options.name.length > 200) {
    throw new ChatError('INVALID', 'feed name must be 1 to 200 characters');
  }
  const store = feedStoreOf(options.chat);
  const events = options.chat.store;
  const clock = options.chat.clock;
  const name = options.name;
  const batchSize = positive(options.batchSize, 100, 'batchSize');
  const pageSize = positive(options.pageSize, 100, 'pageSize');
  const concurrency = positive(options.concurrency, 4, 'concurrency');
  const pollMs = positive(options.pollMs, 500, 'pollMs');
  const wakeDelayMs = options.wakeDelayMs ?? 25;
  if (!Number.isFinite(wakeDelayMs) || wakeDelayMs < 0) throw new ChatError('INVALID', 'feed option wakeDelayMs must be a number >= 0');
  const lease = options.lease === false ? null : { ttlMs: positive(options.lease?.ttlMs, 10_000, 'lease.ttlMs'), holder: options.lease?.holder ?? randomHolder() };
  const baseMs = options.retry?.baseMs ?? 1000;
  const maxMs = options.retry?.maxMs ?? 60_000;
  const types = options.types ? new Set<string>(options.types) : null;
  const failures = new Map<string, { count: number; until: number }>();
  const report = (error: unknown, conversationId?: string) => {
    try {
      options.onError?.(error, conversationId === undefined ? {} : { conversationId });
    } catch {
      // a failing error reporter must not stop the feed
    }
  };

  let leased = lease === null;
  let renewedAt = 0;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let unsubscribe: (() => void) | null = null;

  /** Take or renew the lease when due; false when another node holds it. */
  const keepLease = async (force: boolean): Promise<boolean> => {
    if (!lease) return true;
    const now = clock.now();
    if (!force && leased && now - renewedAt < lease.ttlMs / 3) return true;
    leased = await store.takeLease({ consumer: name, holder: lease.holder, now, ttlMs: lease.ttlMs });
    if (leased) renewedAt = now;
    return leased;
  };

  /** One batch of one conversation: returns how many events it consumed, or -1 when the handler threw. */
  const processOne = async (p: FeedPending): Promise<number> => {
    const read = await events.events({ conversationId: p.conversationId, after: p.cursor, limit: batchSize, timelineOnly: false });
    if (read.length === 0) return 0;
    const wanted = types ? read.filter((e) => types.has(e.type)) : read;
    let checkpoint = p.cursor;
    try {
      if (wanted.length > 0) {
        await options.handle({
          consumer: name,
          conversationId: p.conversationId,
          events: wanted,
          checkpoint: (seq) => void (checkpoint = Math.max(checkpoint, seq)),
        });
      }
    } catch (error) {
      if (checkpoint > p.cursor) await store.saveCursor({ consumer: name, conversationId: p.conversationId, seq: checkpoint });
      const count = (failures.get(p.conversationId)?.count ?? 0) + 1;
      const delay = Math.min(maxMs, baseMs * 2 ** (count - 1)) * (0.8 + Math.random() * 0.4);
      failures.set(p.conversationId, { count, until: clock.now() + delay });
      report(error, p.conversationId);
      return -1;
    }
    failures.delete(p.conversationId);
    await store.saveCursor({ consumer: name, conversationId: p.conversationId, seq: read[read.length - 1]!.seq });
    return read.length;
  };

  const pass = async (): Promise<FeedRunResult> => {
    const result: FeedRunResult = { leased: true, events: 0, failures: 0 };
    if (!(await keepLease(true))) return { ...result, leased: false };
    for (let progress = true; progress && (lease === null || leased); ) {
      progress = false;
      let after: string | undefined;
      for (;;) {
        const page = await store.pending({ consumer: name, limit: pageSize, ...(after === undefined ? {} : { afterConversationId: after }) });
        const now = clock.now();
        const due = page.filter((p) => (failures.get(p.conversationId)?.until ?? 0) <= now);
        for (let i = 0; i < due.length; i += concurrency) {
          if (!(await keepLease(false))) return { ...result, leased: false }; // another node took over
          const done = await Promise.all(due.slice(i, i + concurrency).map(processOne));
          for (const n of done) {
            if (n > 0) {
              result.events += n;
              progress = true;
            } else if (n < 0) result.failures += 1;
          }
        }
        if (page.length < pageSize) break;
        after = page[page.length - 1]!.conversationId;
      }
    }
    return result;
  };

  const runOnce = (): Promise<FeedRunResult> => {
    const run = (running ?? Promise.resolve()).then(pass, pass);
    const settled = run.catch(() => undefined);
    running = settled;
    void settled.then(() => {
      if (running === settled) running = null;
    });
    return run.catch((error: unknown) => Promise.reject(toUnavailable(error, `feed ${name}`)));
  };

  let due = Infinity;
  /** Run the loop in `ms`, unless it is already due sooner. */
  const schedule = (ms: number) => {
    if (stopped || Date.now() + ms >= due) return;
    if (timer) clearTimeout(timer);
    due = Date.now() + ms;
    timer = setTimeout(() => void loop(), ms);
  };
  const loop = async () => {
    timer = null;
    due = Infinity;
    again = false;
    try {
      await runOnce();
    } catch (error) {
      report(error);
    }
    schedule(again ? wakeDelayMs : pollMs);
  };

  return {
    name,
    holder: lease?.holder ?? 'local',
    get leased() {
      return leased;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      unsubscribe = options.chat.on('event', () => {
        if (running) again = true;
        else schedule(wakeDelayMs);
      });
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      due = Infinity;
      unsubscribe?.();
      unsubscribe = null;
      await running;
      if (lease && leased) {
        leased = false;
        await store.releaseLease({ consumer: name, holder: lease.holder }).catch(report);
      }
    },
    runOnce,
    lag: (lagOptions) => feedLag({ store, events, consumer: name, now: clock.now(), maxConversations: lagOptions?.maxConversations ?? 10_000 }),
  };
}

import { createChat, type BusMessage, type Chat, type ChatOptions, type PubSub } from '@parley/core';
import type { Kysely, Transaction } from 'kysely';
import { createPostgresStore } from './postgres-store.js';

/** Options of {@link inChatTransaction}. */
export interface ChatTransactionOptions<DB> {
  /** The application's engine, on a Postgres store of the same database: its bus, limits and clock are used. */
  chat: Chat;
  /** The kysely instance the engine's store was made with. */
  db: Kysely<DB>;
  /** The schema given to the store, if any. */
  schema?: string;
  /**
   * What the application's engine was created with besides store, bus, limits and clock, so the same
   * rules run inside the transaction (the `beforeSend` hooks, presence, rate limiter, ids).
   */
  engine?: Pick<ChatOptions, 'hooks' | 'presence' | 'rateLimiter' | 'ids'>;
  /** Called when publishing an event after the commit fails (the event is committed; the feed still delivers it). */
  onPublishError?(error: unknown): void;
}

/** What the work of {@link inChatTransaction} gets. */
export interface ChatTransaction<DB> {
  /** An engine whose every write goes into `trx`, with every rule of the application's engine. */
  chat: Chat;
  /** The transaction: do the application's own writes here. */
  trx: Transaction<DB>;
}

/**
 * Run the application's business write and chat writes in one Postgres transaction: they commit
 * together or roll back together. `work` gets an engine bound to the transaction (`chat.as(user)`,
 * `chat.systemMessage`, …, with the same rules, preconditions and hooks) and the transaction
 * itself for the application's own statements.
 *
 * Limits: events are published on the bus only after the commit (nothing is announced for a
 * transaction that rolls back); if that publish fails, live clients see the event at their next
 * sync, and the change feed delivers it regardless (it reads the store). The application's engine's
 * `chat.on('event')` listeners do not fire for these events: use the feed. Sends are not
 * group-committed, and each conversation written to stays locked until the transaction ends, so
 * keep the transaction short. Only for an engine on the Postgres store of this database.
 *
 * ```ts
 * import { sql } from 'kysely';
 * import { inChatTransaction } from '@parley/storage-postgres';
 *
 * await inChatTransaction({ chat, db }, async ({ chat: txChat, trx }) => {
 *   await sql`insert into orders (id, total) values (${'o-1'}, ${4200})`.execute(trx);
 *   await txChat.systemMessage({ conversationId, senderId: 'shop-bot', text: 'Order o-1 placed' });
 * });
 * ```
 */
export async function inChatTransaction<DB, T>(options: ChatTransactionOptions<DB>, work: (tx: ChatTransaction<DB>) => Promise<T>): Promise<T> {
  const pending: Array<[string, BusMessage]> = [];
  const bus = options.chat.pubsub;
  const deferred: PubSub = {
    publish: async (topic, message) => void pending.push([topic, message]),
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
  };
  const result = await options.db.transaction().execute(async (trx) => {
    const store = createPostgresStore({ db: trx, ...(options.schema === undefined ? {} : { schema: options.schema }) });
    const chat = createChat({ ...options.engine, store, pubsub: deferred, limits: options.chat.limits, clock: options.chat.clock });
    try {
      return await work({ chat, trx });
    } finally {
      await chat.close();
    }
  });
  for (const [topic, message] of pending) {
    await bus.publish(topic, message).catch((error: unknown) => options.onPublishError?.(error));
  }
  return result;
}

import { DEFAULT_CAPABILITIES } from '@parley/core';
import type { ChatStore, StoreCapabilities } from '@parley/core';
import type { Db } from 'mongodb';
import { callMethods } from './calls.js';
import { collectionsOf, DEFAULT_PREFIX } from './collections.js';
import type { StoreContext } from './context.js';
import { conversationMethods } from './conversations.js';
import { createKeyedQueue } from './keyed-queue.js';
import { logMethods } from './log.js';
import { createMongoFeedStore } from './mongo-feed-store.js';
import { createMongoPushDeviceStore } from './mongo-push-device-store.js';
import { readViewMethods, withReadViews } from './read-views.js';
import { memberMethods } from './members.js';
import { restrictionMethods } from './restrictions.js';
import { reportMethods } from './reports.js';
import type { SearchMode } from './queries.js';
import { retentionMethods } from './retention.js';
import { searchMessages } from './search.js';
import { userMethods } from './users.js';

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions {
  /** A database handle from the official `mongodb` driver (v6 or v7). The caller owns its client. */
  db: Db;
  /**
   * Override capability flags. Against a server that lacks `$text`, pass `{ fullTextSearch: false }`
   * (search then uses `$regex`); a test double that enforces no secondary unique index passes
   * `{ uniqueConstraints: false }`.
   */
  capabilities?: Partial<StoreCapabilities>;
  /**
   * How `search` matches: `text` (a `$text` index, word stemming) or `regex` (case-insensitive
   * substring). Default: `text`, or `regex` when `capabilities.fullTextSearch` is false.
   */
  search?: SearchMode;
  /** Prefix of every collection name; pass the same to {@link ensureIndexes}. Default `parley_`. */
  collectionPrefix?: string;
  /** How many times an append retries a seq taken by a concurrent writer. Default 1000. */
  maxAppendAttempts?: number;
}

/**
 * A {@link ChatStore} on MongoDB that needs no multi-document transaction: seqs are arbitrated by
 * `_id`s derived from (conversationId, seq), the event document is each append's commit point and
 * its effects are applied idempotently by whichever writer gets there first, watermarks move with
 * single-document `$max` updates. Run {@link ensureIndexes} once before use. See
 * `docs/storage-mongo.md` for the data model and the reasoning.
 */
export function createMongoStore(options: MongoStoreOptions): ChatStore {
  const prefix = options.collectionPrefix ?? DEFAULT_PREFIX;
  const searchMode: SearchMode = options.search ?? (options.capabilities?.fullTextSearch === false ? 'regex' : 'text');
  const capabilities: StoreCapabilities = {
    ...DEFAULT_CAPABILITIES,
    fullTextSearch: searchMode === 'text',
    transactions: false,
    uniqueConstraints: true,
    persistent: true,
    ...options.capabilities,
  };
  const ctx: StoreContext = {
    cols: collectionsOf({ db: options.db, prefix }),
    conversationsName: `${prefix}conversations`,
    searchMode,
    maxAppendAttempts: options.maxAppendAttempts ?? 1000,
    appendQueue: createKeyedQueue(),
  };
  const log = logMethods(ctx);
  return {
    capabilities,
    feed: createMongoFeedStore(options.db, prefix),
    push: createMongoPushDeviceStore(options.db, prefix),
    ...userMethods(ctx),
    ...conversationMethods(ctx),
    ...memberMethods(ctx),
    ...log,
    append: withReadViews(ctx, log.append),
    ...readViewMethods(ctx),
    ...callMethods(ctx),
    ...restrictionMethods(ctx),
    ...reportMethods(ctx),
    ...retentionMethods(ctx),
    search: (query) => searchMessages(ctx, query),
  };
}

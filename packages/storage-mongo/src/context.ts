import type { Collections } from './collections.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { SearchMode } from './queries.js';

/** What the parts of the store share. */
export interface StoreContext {
  cols: Collections;
  /** Full name of the conversations collection (for `$lookup`). */
  conversationsName: string;
  searchMode: SearchMode;
  /** How many times `append` retries a taken seq before giving up. */
  maxAppendAttempts: number;
  /** Serializes this store's appends per conversation. */
  appendQueue: KeyedQueue;
}

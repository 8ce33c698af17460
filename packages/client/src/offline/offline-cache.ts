import type { AttachableCache, CacheChange, CachedConversation, CachedInbox, ClientCache } from '../cache-port.js';
import { CacheWriter } from './cache-writer.js';
import { KEYS, decodeConversation, decodeInbox, decodeIndex, encode, type WindowIndex } from './records.js';
import type { OfflineStorage } from './storage.js';

/** Options of {@link createOfflineCache}. */
export interface OfflineCacheOptions {
  /** Where the records go: `indexedDbCacheStorage()` in browsers, `memoryCacheStorage()` in Node and tests. */
  storage: OfflineStorage;
  /**
   * Size budget per user in bytes (UTF-16 code units of the stored JSON). When the saved windows
   * and the inbox pass it, the windows of the least recently opened conversations are dropped
   * until they fit; the inbox itself is always kept. Default 8 MiB.
   */
  maxBytes?: number;
  /** Namespace of a user in the storage. Default `'user:' + userId`. */
  namespace?: (userId: string) => string;
}

/** What {@link createOfflineCache} returns: a {@link ClientCache} for `createClient({ cache })` that can also tell its size. */
export interface OfflineCache extends ClientCache, AttachableCache {
  /** Bytes saved for `userId` as the budget counts them (inbox and windows). */
  size(userId: string): Promise<number>;
  /** Ids of the conversations whose windows are saved for `userId`. */
  conversations(userId: string): Promise<string[]>;
}

interface UserState {
  windows: WindowIndex;
  inboxBytes: number;
}

/**
 * An offline cache for `createClient({ cache })`: per user (one storage namespace each), with a
 * schema version (records of another version are discarded, not read), validation of every record
 * read (a torn or corrupt record counts as absent), and a size budget that evicts the windows of
 * the least recently opened conversations.
 *
 * ```ts
 * import { createClient } from '@parley/client';
 * import { createOfflineCache, indexedDbCacheStorage } from '@parley/client/offline';
 *
 * const cache = createOfflineCache({ storage: indexedDbCacheStorage() });
 * const client = createClient({ url: 'wss://chat.example.com/parley', token: 'tok', userId: 'ana', cache });
 * ```
 */
export function createOfflineCache(options: OfflineCacheOptions): OfflineCache {
  const storage = options.storage;
  const maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  const ns = options.namespace ?? ((userId: string) => `user:${userId}`);
  const users = new Map<string, Promise<UserState>>();

  /** The user's index, rebuilt from the stored windows when it is missing or torn. */
  const stateOf = (userId: string): Promise<UserState> => {
    let s = users.get(userId);
    if (!s) {
      s = (async () => {
        const space = ns(userId);
        const [rawIndex, rawInbox] = await Promise.all([storage.get(space, KEYS.index), storage.get(space, KEYS.inbox)]);
        if (decodeInbox(rawInbox, userId) === 'version' || decodeIndex(rawIndex, userId) === 'version') {
          // written by another schema version: none of it may be read
          await storage.clear(space);
          return { windows: {}, inboxBytes: 0 };
        }
        const inboxBytes = rawInbox?.length ?? 0;
        const index = decodeIndex(rawIndex, userId);
        if (typeof index !== 'string') return { windows: { ...index }, inboxBytes };
        const windows: WindowIndex = {};
        for (const key of await storage.keys(space)) {
          if (!KEYS.isConversation(key)) continue;
          const raw = await storage.get(space, key);
          const id = key.slice('conv:'.length);
          const conv = decodeConversation(raw, userId, id);
          if (typeof conv === 'string') await storage.delete(space, [key]);
          else windows[id] = { bytes: raw!.length, openedAt: conv.openedAt };
        }
        return { windows, inboxBytes };
      })();
      s.catch(() => users.delete(userId));
      users.set(userId, s);
    }
    return s;
  };

  const cache: OfflineCache = {
    attach: (host) => new CacheWriter({ ...host, cache }),

    async load(userId): Promise<CachedInbox | null> {
      await stateOf(userId);
      const inbox = decodeInbox(await storage.get(ns(userId), KEYS.inbox), userId);
      return typeof inbox === 'string' ? null : inbox;
    },

    async loadConversation(userId, conversationId): Promise<CachedConversation | null> {
      const s = await stateOf(userId);
      const key = KEYS.conversation(conversationId);
      const conv = decodeConversation(await storage.get(ns(userId), key), userId, conversationId);
      if (typeof conv !== 'string') return conv;
      if (s.windows[conversationId]) {
        delete s.windows[conversationId];
        await storage.delete(ns(userId), [key]);
      }
      return null;
    },

    async save(userId, change: CacheChange): Promise<void> {
      const s = await stateOf(userId);
      const space = ns(userId);
      const puts = new Map<string, string>();
      let inboxBytes = s.inboxBytes;
      if (change.inbox) {
        const raw = encode(userId, 'inbox', change.inbox);
        puts.set(KEYS.inbox, raw);
        inboxBytes = raw.length;
      }
      const windows = { ...s.windows };
      for (const c of change.conversations) {
        const raw = encode(userId, 'conversation', c);
        puts.set(KEYS.conversation(c.conversationId), raw);
        windows[c.conversationId] = { bytes: raw.length, openedAt: c.openedAt };
      }
      // the budget: drop the least recently opened windows until everything fits
      let total = inboxBytes + Object.values(windows).reduce((n, w) => n + w.bytes, 0);
      const evicted: string[] = [];
      const byAge = Object.entries(windows).sort(([, a], [, b]) => a.openedAt - b.openedAt);
      for (const [id, w] of byAge) {
        if (total <= maxBytes) break;
        total -= w.bytes;
        delete windows[id];
        puts.delete(KEYS.conversation(id));
        evicted.push(KEYS.conversation(id));
      }
      puts.set(KEYS.index, encode(userId, 'index', { windows }));
      await storage.put(space, [...puts]);
      if (evicted.length > 0) await storage.delete(space, evicted);
      s.windows = windows;
      s.inboxBytes = inboxBytes;
    },

    async clear(userId): Promise<void> {
      users.delete(userId);
      await storage.clear(ns(userId));
    },

    async size(userId) {
      const s = await stateOf(userId);
      return s.inboxBytes + Object.values(s.windows).reduce((n, w) => n + w.bytes, 0);
    },

    async conversations(userId) {
      return Object.keys((await stateOf(userId)).windows);
    },
  };
  return cache;
}

/** Make a {@link ClientCache} of your own usable as `createClient({ cache })`. */
export function clientCache(implementation: ClientCache): ClientCache & AttachableCache {
  const cache = { ...implementation, attach: (host: Parameters<AttachableCache['attach']>[0]) => new CacheWriter({ ...host, cache }) };
  return cache;
}

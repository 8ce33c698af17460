/**
 * `@parley/client/offline`: an optional offline-first cache for the client. Kept out of the main
 * entry so apps that do not use it do not ship it.
 */
export { clientCache, createOfflineCache, type OfflineCache, type OfflineCacheOptions } from './offline-cache.js';
export { memoryCacheStorage } from './memory-storage.js';
export { indexedDbCacheStorage, type IndexedDbCacheOptions } from './indexeddb-storage.js';
export { CACHE_SCHEMA_VERSION } from './records.js';
export type { OfflineStorage } from './storage.js';
export type { AttachableCache, CacheChange, CachedConversation, CachedInbox, ClientCache } from '../cache-port.js';

export { createMongoStore } from './mongo-store.js';
export type { MongoStoreOptions } from './mongo-store.js';
export { ensureIndexes, indexSpecs } from './indexes.js';
export type { EnsureIndexesOptions } from './indexes.js';
export { COLLECTION_NAMES, DEFAULT_PREFIX } from './collections.js';
export type { SearchMode } from './queries.js';
export { isDuplicateKeyError } from './errors.js';
export { FEED_COLLECTION_NAMES } from './mongo-feed-store.js';

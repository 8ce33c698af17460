export { createMongoStore } from './mongo-store.js';
export type { MongoStoreOptions } from './mongo-store.js';
export { ensureIndexes, indexSpecs } from './indexes.js';
export type { EnsureIndexesOptions } from './indexes.js';
export { COLLECTION_NAMES, DEFAULT_PREFIX } from './collections.js';
export type { SearchMode } from './queries.js';
export { isDuplicateKeyError } from './errors.js';
export { importSeed001 } from './import/seed001.js';
export type { Seed001ImportOptions, Seed001ImportReport } from './import/seed001.js';

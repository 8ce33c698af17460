export { createPostgresStore, POSTGRES_CAPABILITIES } from './postgres-store.js';
export type { PostgresStoreOptions } from './postgres-store.js';
export { migrate, migrateDown } from './migrations.js';
export type { MigrateOptions, MigrateReport } from './migrations.js';
export { createPGliteDialect } from './pglite-dialect.js';
export type { PGliteDialectOptions, PGliteLike } from './pglite-dialect.js';
export { createPostgresPubSub } from './postgres-pubsub.js';
export type { PgClientLike, PgNotification, PostgresPubSubOptions } from './postgres-pubsub.js';

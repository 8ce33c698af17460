import type { Kysely } from 'kysely';
import { runStoreConformance } from '@parley/core/testing';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { openPGlite, truncateAll } from './support/pglite.js';
import { snapshotTables } from './support/snapshot.js';

// The shared conformance kit (@parley/core/testing) on embedded PGlite: one database for the
// file, emptied between tests.
let shared: Promise<Kysely<unknown>> | undefined;
const database = () =>
  (shared ??= openPGlite().then(async ({ db }) => {
    await migrate({ db });
    return db;
  }));

await runStoreConformance({
  name: 'postgres (pglite)',
  create: async () => createPostgresStore({ db: await database() }),
  reset: async () => truncateAll(await database()),
  close: () => {},
  snapshot: async () => snapshotTables(await database()),
});

import type { Kysely } from 'kysely';
import { describe, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { loadConformanceKit } from './support/kit.js';
import { openPGlite, truncateAll } from './support/pglite.js';
import { snapshotTables } from './support/snapshot.js';

// The shared conformance kit (@parley/core/testing) on embedded PGlite: one database for the
// file, emptied between tests.
const kit = await loadConformanceKit();
let shared: Promise<Kysely<unknown>> | undefined;
const database = () =>
  (shared ??= openPGlite().then(async ({ db }) => {
    await migrate({ db });
    return db;
  }));

if (kit) {
  await kit.runStoreConformance({
    name: 'postgres (pglite)',
    create: async () => createPostgresStore({ db: await database() }),
    reset: async () => truncateAll(await database()),
    close: () => {},
    snapshot: async () => snapshotTables(await database()),
  });
} else {
  describe('conformance kit (pglite)', () => {
    it.skip('@parley/core/testing is not available yet', () => {});
  });
}

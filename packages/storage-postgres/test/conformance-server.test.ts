import { afterAll, describe, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { runStoreConformance } from '@parley/core/testing';
import { truncateAll } from './support/pglite.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';
import { snapshotTables } from './support/snapshot.js';

// The shared conformance kit on a Postgres server, in a schema of its own for this run.
const available = await serverAvailable();

if (available) {
  const schema = randomSchema();
  const { db } = serverDb(20);
  let ready: Promise<unknown> | undefined;
  const prepared = () => (ready ??= migrate({ db, schema }));
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });
  await runStoreConformance({
    name: 'postgres (server)',
    create: async () => {
      await prepared();
      return createPostgresStore({ db, schema });
    },
    reset: async () => {
      await prepared();
      await truncateAll(db, schema);
    },
    close: () => {},
    snapshot: async () => snapshotTables(db, schema),
  });
} else {
  describe('conformance kit (server)', () => {
    it.skip('no Postgres server (set PARLEY_PG_URL or start Postgres)', () => {});
  });
}

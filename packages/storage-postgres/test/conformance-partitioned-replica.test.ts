import { afterAll, describe, it } from 'vitest';
import { runStoreConformance } from '@parley/core/testing';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { truncateAll } from './support/pglite.js';
import { ReplicaPair } from './support/replica-pair.js';
import { snapshotTables } from './support/snapshot.js';

// The whole conformance kit on the partitioned schema (`migrate({ partitions })`) of a private
// primary, through a store whose reads may go to a streaming replica of it. One run covers both
// (the kit takes over a minute here): every case reads right after it writes, so a read answered
// by a replica that is behind fails it, and every case runs against partitioned tables.
const pair = await ReplicaPair.start('the conformance kit on partitioned tables with a read replica');

if (pair !== null) {
  let ready: Promise<unknown> | undefined;
  const prepared = () => (ready ??= migrate({ db: pair.primary.db, partitions: 8 }));
  afterAll(async () => {
    // the replica answered part of the kit's reads (else this file tests nothing new)
    if (pair.replica.reads() === 0) throw new Error('the replica answered no read of the conformance kit');
    await pair.destroy();
  }, 30_000);
  await runStoreConformance({
    name: 'postgres (server, 8 partitions, read replica)',
    create: async () => {
      await prepared();
      return createPostgresStore({ db: pair.primary.db, replicas: [pair.replica.db] });
    },
    reset: async () => {
      await prepared();
      await truncateAll(pair.primary.db);
    },
    close: () => {},
    snapshot: async () => snapshotTables(pair.primary.db),
  });
} else {
  describe('conformance kit (partitioned tables, read replica)', () => {
    it.skip('needs initdb, pg_ctl and pg_basebackup (set PARLEY_PG_BIN or install the PostgreSQL server package)', () => {});
  });
}

import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrateDown } from '../src/migrations.js';
import { openPGlite } from './support/pglite.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

const tablesIn = async (db: Kysely<unknown>, schema: string) =>
  (
    await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema} order by 1`.execute(db)
  ).rows.map((r) => r.name);

const MIGRATIONS = ['0001_initial', '0002_append_message_function', '0003_send_batch', '0004_read_views', '0005_feed', '0006_moderation'];
const STORE_TABLES = ['bus_payloads', 'calls', 'contacts', 'conversations', 'events', 'feed_cursors', 'feed_leases', 'feed_parked', 'hidden', 'members', 'push_devices', 'reports', 'restrictions', 'users'];

async function upDownUpTwice(db: Kysely<unknown>, schema: string) {
  expect((await migrate({ db, schema })).executed).toEqual(MIGRATIONS);
  expect((await migrate({ db, schema })).executed).toEqual([]);
  expect((await tablesIn(db, schema)).filter((t) => STORE_TABLES.includes(t))).toEqual(STORE_TABLES);
  expect((await migrateDown({ db, schema })).executed).toEqual([...MIGRATIONS].reverse());
  expect((await migrateDown({ db, schema })).executed).toEqual([]);
  expect((await tablesIn(db, schema)).filter((t) => STORE_TABLES.includes(t))).toEqual([]);
  expect((await migrate({ db, schema })).executed).toEqual(MIGRATIONS);
  expect((await migrate({ db, schema })).executed).toEqual([]);
}

describe('migrations on PGlite', () => {
  it('go up, down and up again, each safe to run twice', async () => {
    const { db, pglite } = await openPGlite();
    try {
      await upDownUpTwice(db, 'parley_a');
      // the default (search_path) schema works too, and accepts the Kysely instance itself
      expect((await migrate(db)).executed).toEqual(MIGRATIONS);
      expect(await tablesIn(db, 'public')).toEqual(expect.arrayContaining(STORE_TABLES));
    } finally {
      await db.destroy();
      await pglite.close();
    }
  });
});

const available = await serverAvailable();

describe.skipIf(!available)('migrations on a Postgres server', () => {
  const schema = randomSchema();
  const { db } = serverDb(4);
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  it('go up, down and up again, each safe to run twice, also concurrently', async () => {
    await upDownUpTwice(db, schema);
    await migrateDown({ db, schema });
    const runs = await Promise.all([migrate({ db, schema }), migrate({ db, schema }), migrate({ db, schema })]);
    expect(runs.flatMap((r) => r.executed)).toEqual(MIGRATIONS);
  });
});

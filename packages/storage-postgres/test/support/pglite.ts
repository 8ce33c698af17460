import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { createPGliteDialect } from '../../src/pglite-dialect.js';

/** A fresh in-memory PGlite with a kysely instance over our dialect. */
export async function openPGlite(dataDir?: string): Promise<{ pglite: PGlite; db: Kysely<unknown> }> {
  const pglite = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await pglite.waitReady;
  return { pglite, db: new Kysely<unknown>({ dialect: createPGliteDialect({ pglite }) }) };
}

/**
 * Empty every table of the store (between tests sharing one database). DELETE, not TRUNCATE: the
 * tables hold a few rows per test, and TRUNCATE's new files cost far more than deleting them.
 */
export async function truncateAll(db: Kysely<unknown>, schema?: string): Promise<void> {
  const names = ['users', 'contacts', 'conversations', 'members', 'events', 'hidden', 'calls', 'bus_payloads', 'feed_cursors', 'feed_leases', 'feed_parked', 'push_devices', 'restrictions', 'reports'];
  const list = names.map((n) => (schema ? sql.table(`${schema}.${n}`) : sql.table(n)));
  await db.transaction().execute(async (trx) => {
    for (const table of list) await sql`delete from ${table}`.execute(trx);
  });
}

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createPostgresStore, migrate } from '@parley/storage-postgres';
import type { ChatStore } from '@parley/core';

/** A Postgres-backed Parley store, migrated, plus a way to close its pool. */
export async function postgresStore(options: { url: string; schema?: string }): Promise<{ store: ChatStore; db: Kysely<unknown>; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: options.url, max: 10 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  await migrate({ db, ...(options.schema ? { schema: options.schema } : {}) });
  return { store: createPostgresStore({ db, ...(options.schema ? { schema: options.schema } : {}) }), db, close: () => db.destroy() };
}

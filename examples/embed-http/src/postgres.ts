import type { Kysely } from 'kysely';
import pg from 'pg';
import { createPostgresDb, createPostgresStore, migrate } from '@parley/storage-postgres';
import type { ChatStore } from '@parley/core';

/** A Postgres-backed Parley store, migrated, plus a way to close its pool. */
export async function postgresStore(options: { url: string; schema?: string }): Promise<{ store: ChatStore; db: Kysely<unknown>; close(): Promise<void> }> {
  // createPostgresDb handles the pool's `error` event: a Postgres restart must not end the process
  const postgres = createPostgresDb({ pg, url: options.url, onError: (error) => console.warn(`postgres connection lost: ${error.message}`) });
  const { db } = postgres;
  await migrate({ db, ...(options.schema ? { schema: options.schema } : {}) });
  return { store: createPostgresStore({ db, ...(options.schema ? { schema: options.schema } : {}) }), db, close: postgres.close };
}

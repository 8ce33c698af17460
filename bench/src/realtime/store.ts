import type { ChatStore } from '@parley/core';
import type { Sql } from '../db/sql.js';
import type { RealtimeStore } from './messages.js';

/** A store for the Parley server child, and how to clean up after it. */
export interface OpenedStore {
  store: ChatStore;
  /** Drop what was created (the Postgres schema) and close connections. */
  close(): Promise<void>;
}

/**
 * Open the store a Parley server child runs on: the in-memory store, or Parley's Postgres store
 * migrated into a schema of its own (`parley_rt_<pid>`, dropped by `close`) on the server at
 * `PARLEY_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`) or on in-memory PGlite.
 */
export async function openStore(kind: RealtimeStore): Promise<OpenedStore> {
  if (kind === 'memory') {
    const { createMemoryStore } = await import('@parley/core');
    return { store: createMemoryStore(), close: async () => undefined };
  }
  const { createPostgresStore, migrate } = await import('@parley/storage-postgres');
  const { pgliteSql, serverSql } = await import('../db/sql.js');
  let sql: Sql;
  if (kind === 'pglite') {
    const { PGlite } = await import('@electric-sql/pglite');
    sql = pgliteSql(new PGlite());
  } else {
    sql = serverSql(process.env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 10);
  }
  const schema = `parley_rt_${process.pid}`;
  await sql.exec(`drop schema if exists ${schema} cascade`);
  const db = await sql.kysely();
  await migrate({ db, schema });
  return {
    store: createPostgresStore({ db, schema }),
    async close() {
      await sql.exec(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await sql.close();
    },
  };
}

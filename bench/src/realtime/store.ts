import type { ChatStore } from '@parley/core';
import type { Sql } from '../db/sql.js';
import type { RealtimeStore } from './messages.js';
import { countRoundTrip } from './round-trips.js';

/** A store for the Parley server child, and how to clean up after it. */
export interface OpenedStore {
  store: ChatStore;
  /** Drop what was created (the Postgres schema) and close connections. */
  close(): Promise<void>;
}

/**
 * Open the store a Parley server child runs on: the in-memory store, or Parley's Postgres store
 * migrated into a schema of its own (`parley_rt_<pid>` unless `schema` is given; dropped by `close`)
 * on the server at `PARLEY_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`, a pool of 10)
 * or on in-memory PGlite. With `owner: false` the schema is one another process migrated: it is
 * neither created nor dropped here.
 */
export async function openStore(kind: RealtimeStore, options: { schema?: string; owner?: boolean } = {}): Promise<OpenedStore> {
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
  const schema = options.schema ?? `parley_rt_${process.pid}`;
  const owner = options.owner ?? true;
  const db = await sql.kysely(countRoundTrip);
  if (owner) {
    await sql.exec(`drop schema if exists ${schema} cascade`);
    await migrate({ db, schema });
  }
  return {
    store: createPostgresStore({ db, schema }),
    async close() {
      if (owner) await sql.exec(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await sql.close();
    },
  };
}

import { createMemoryStore, type ChatStore } from '@parley/core';
import { createPGliteDialect, createPostgresStore, migrate } from '@parley/storage-postgres';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { createPool } from '../../packages/storage-postgres/test/support/pg.js';
import { dropSchema, postgresServerOrSkip, randomSchema, SERVER_URL, tablesIn } from './postgres.js';

/** A store under test, with what the hardening tests need to look underneath it. */
export interface StoreUnderTest {
  name: string;
  store: ChatStore;
  /** Table names (SQL stores), to prove none was dropped or created. */
  tables(): Promise<string[]>;
  /** Row counts per table (SQL stores), to prove nothing extra was written. */
  rowCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const TABLES = ['users', 'contacts', 'conversations', 'members', 'events', 'hidden', 'calls'];

function sqlStore(name: string, db: Kysely<unknown>, schema: string, close: () => Promise<void>): StoreUnderTest {
  return {
    name,
    store: createPostgresStore({ db, schema }),
    tables: () => tablesIn(db, schema),
    async rowCounts() {
      const out: Record<string, number> = {};
      for (const t of TABLES) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.${t}`)}`.execute(db);
        out[t] = rows[0]!.n;
      }
      return out;
    },
    close,
  };
}

/** The in-memory store. */
export function memoryStore(): StoreUnderTest {
  return { name: 'memory', store: createMemoryStore(), tables: async () => [], rowCounts: async () => ({}), close: async () => {} };
}

/** The Postgres store on an in-process PGlite. */
export async function pgliteStore(): Promise<StoreUnderTest> {
  const pglite = new PGlite();
  await pglite.waitReady;
  const db = new Kysely<unknown>({ dialect: createPGliteDialect({ pglite }) });
  const schema = 'parley';
  await migrate({ db, schema });
  return sqlStore('postgres (PGlite)', db, schema, async () => {
    await db.destroy();
    await pglite.close().catch(() => {});
  });
}

/** The Postgres store on the server in its own schema (dropped on close), or null (skipped, said why) when unreachable. */
export async function serverStore(what: string): Promise<StoreUnderTest | null> {
  if (!(await postgresServerOrSkip(what))) return null;
  const pool = createPool({ connectionString: SERVER_URL, max: 4 });
  pool.on('error', () => {});
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const schema = randomSchema('parley_sec');
  await migrate({ db, schema });
  return sqlStore('postgres (server)', db, schema, async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });
}

import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { Client, createPool } from './pg.js';

/** The server the server-backed tests use. */
export const SERVER_URL = process.env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(url: string): Promise<string | null> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Whether the Postgres server tests can run. Without a server they are skipped with a visible
 * line, except in CI (`CI=true`), where a missing server fails the run.
 */
export async function serverAvailable(): Promise<boolean> {
  const problem = await reachable(SERVER_URL);
  if (problem === null) return true;
  const hint = `no Postgres server at ${SERVER_URL.replace(/\/\/[^@]*@/, '//***@')} (${problem}). ` +
    'Set PARLEY_PG_URL=postgres://user@host:port/db or start a local Postgres to run these tests.';
  if (process.env.CI === 'true') throw new Error(`CI=true but ${hint}`);
  console.warn(`[storage-postgres] skipping server tests: ${hint}`);
  return false;
}

/** A random schema name for one test run. */
export function randomSchema(prefix = 'parley_t'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A pool-backed kysely instance on the test server. */
export function serverDb(max = 10): { db: Kysely<unknown>; pool: pg.Pool } {
  const pool = createPool({ connectionString: SERVER_URL, max });
  // A backend killed while its client is checked out makes the client emit 'error'; without a
  // listener that is an uncaught exception. The failing query still rejects, and the pool
  // replaces the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return { db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/** Drop a test schema and everything in it. */
export async function dropSchema(db: Kysely<unknown>, schema: string): Promise<void> {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
}

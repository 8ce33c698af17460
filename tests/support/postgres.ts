import { sql, type Kysely } from 'kysely';
import { dropSchema, randomSchema, SERVER_URL, serverDb } from '../../packages/storage-postgres/test/support/server.js';
import { Client } from '../../packages/storage-postgres/test/support/pg.js';

export { dropSchema, randomSchema, SERVER_URL, serverDb };

/**
 * Whether the Postgres server is reachable. When it is not: with CI=true throw (the run must fail
 * loudly), otherwise print how to enable the tests and return false so the caller skips.
 */
export async function postgresServerOrSkip(what: string): Promise<boolean> {
  const client = new Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  let problem: string | null = null;
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
  if (problem === null) return true;
  const where = SERVER_URL.replace(/\/\/[^@]*@/, '//***@');
  const message = `${what} needs a Postgres server; none at ${where} (${problem}). Start one or set PARLEY_PG_URL=postgres://user@host:port/db to enable it.`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`[skip] ${message}`);
  return false;
}

/** Names of the tables in a schema (to prove none was dropped or added). */
export async function tablesIn(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema} order by 1`.execute(db);
  return rows.map((r) => r.name);
}

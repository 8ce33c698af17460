import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const TABLES: Array<[string, string]> = [
  ['users', 'id'],
  ['contacts', 'owner_id, user_id'],
  ['conversations', 'id'],
  ['members', 'conversation_id, user_id'],
  ['events', 'conversation_id, seq'],
  ['hidden', 'user_id, conversation_id, seq'],
  ['calls', 'id'],
  ['restrictions', 'conversation_id, user_id, kind'],
  ['reports', 'conversation_id, id'],
];

/** Every row of every store table, in key order, read straight from the database. */
export async function snapshotTables(db: Kysely<unknown>, schema?: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of TABLES) {
    const ref = schema ? sql.table(`${schema}.${table}`) : sql.table(table);
    const result = await sql<{ row: unknown }>`select to_jsonb(x.*) as row from ${ref} x order by ${sql.raw(key)}`.execute(db);
    out[table] = result.rows.map((r) => r.row);
  }
  return out;
}

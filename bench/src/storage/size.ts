import type { Sql } from '../db/sql.js';
import { SEED_SCHEMA } from '../db/seed000.js';
import { PARLEY_SCHEMA } from './fixture.js';

/** Bytes on disk of one schema: every table with its indexes and TOAST (`pg_total_relation_size`). */
export interface SchemaSize {
  total: number;
  tables: Array<{ table: string; bytes: number; rows: number }>;
}

/** Measure a schema's size, table by table. */
export async function schemaSize(sql: Sql, schema: string): Promise<SchemaSize> {
  const tables = await sql.query<{ table: string; bytes: string; rows: string }>(
    `select c.relname as table, pg_total_relation_size(c.oid)::bigint as bytes, greatest(c.reltuples, 0)::bigint as rows
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p') order by 2 desc`,
    [schema],
  );
  const list = tables.map((t) => ({ table: t.table, bytes: Number(t.bytes), rows: Number(t.rows) }));
  return { total: list.reduce((a, t) => a + t.bytes, 0), tables: list };
}

/** Sizes of Parley's schema and the seed 000 schema. */
export async function bothSizes(sql: Sql): Promise<{ parley: SchemaSize; seed: SchemaSize }> {
  return { parley: await schemaSize(sql, PARLEY_SCHEMA), seed: await schemaSize(sql, SEED_SCHEMA) };
}

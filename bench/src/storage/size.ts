import type { Sql } from '../db/sql.js';
import { SEED_SCHEMA } from '../db/seed000.js';
import { PARLEY_SCHEMA } from './fixture.js';

/** Bytes on disk of one schema: every table with its indexes and TOAST (`pg_total_relation_size`). */
export interface SchemaSize {
  total: number;
  tables: Array<{ table: string; bytes: number; rows: number }>;
  /** Every relation on its own (heap, TOAST with its index, each index), largest first. */
  parts: Array<{ name: string; bytes: number }>;
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
  const parts = await sql.query<{ name: string; bytes: string }>(
    `select c.relname || case when c.relkind = 'i' then ' (index)' else ' (heap + TOAST)' end as name,
       case when c.relkind = 'i' then pg_relation_size(c.oid) else pg_table_size(c.oid) end::bigint as bytes
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p', 'i') order by 2 desc`,
    [schema],
  );
  return { total: list.reduce((a, t) => a + t.bytes, 0), tables: list, parts: parts.map((p) => ({ name: p.name, bytes: Number(p.bytes) })) };
}

/** Sizes of Parley's schema and the seed 000 schema. */
export async function bothSizes(sql: Sql): Promise<{ parley: SchemaSize; seed: SchemaSize }> {
  return { parley: await schemaSize(sql, PARLEY_SCHEMA), seed: await schemaSize(sql, SEED_SCHEMA) };
}

import { ChatError } from '@parley/core';
import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import type { TableRef } from './tables.js';

/**
 * The tables hash-partitioned by `conversation_id` when `migrate` is given `partitions`. Every key
 * of theirs starts with (or holds) the conversation id, so each unique constraint — seq per
 * conversation, exactly-once by (conversation, sender, client id), one membership per user — is
 * checked inside one partition and still holds for the whole table. `conversations` (one row per
 * conversation, unique `direct_pair` across conversations), `users`, `contacts` and `calls` stay
 * plain: they are small next to the log, or keyed by something else.
 */
export const PARTITIONED_TABLES = ['events', 'members', 'hidden'] as const;

/** Most partitions `migrate` makes per table. */
export const MAX_PARTITIONS = 1024;

/** The `partitions` option checked: undefined (plain tables) or an integer in 2..{@link MAX_PARTITIONS}. */
export function checkPartitions(partitions: number | undefined): number | undefined {
  if (partitions === undefined) return undefined;
  if (!Number.isInteger(partitions) || partitions < 2 || partitions > MAX_PARTITIONS) {
    throw new ChatError('INVALID', `partitions must be an integer from 2 to ${MAX_PARTITIONS}`, {
      issues: [{ path: 'partitions', message: `got ${JSON.stringify(partitions)}` }],
    });
  }
  return partitions;
}

/** What follows a partitioned table's column list. */
export function partitionClause(partitions: number | undefined): RawBuilder<unknown> {
  return partitions === undefined ? sql`` : sql`partition by hash (conversation_id)`;
}

/** The statements that create the partitions of one table (`events_p0` … `events_p15`). */
export function partitionsOf(t: TableRef, table: string, partitions: number | undefined): Array<RawBuilder<unknown>> {
  if (partitions === undefined) return [];
  return Array.from({ length: partitions }, (_, i) =>
    sql`create table ${t(`${table}_p${i}`)} partition of ${t(table)} for values with (modulus ${sql.lit(partitions)}, remainder ${sql.lit(i)})`,
  );
}

/**
 * Refuse a `partitions` that does not match tables already made: partitioning is chosen by the
 * first migration and never changes afterwards; later runs may leave the option out (docs/storage-postgres.md, "Partitioned tables").
 */
export async function checkExistingPartitions(db: Kysely<unknown>, schema: string, partitions: number | undefined): Promise<void> {
  if (partitions === undefined) return;
  const { rows } = await sql<{ n: number | null }>`
    select (select count(*) from pg_inherits i where i.inhparent = c.oid)::int as n, c.relkind::text as kind
    from pg_class c join pg_namespace s on s.oid = c.relnamespace
    where s.nspname = ${schema} and c.relname = 'events'`.execute(db);
  const found = rows[0] as { n: number; kind: string } | undefined;
  if (found === undefined) return;
  const existing = found.kind === 'p' ? found.n : undefined;
  if (existing !== partitions) {
    const has = existing === undefined ? 'plain tables' : `${existing} partitions`;
    throw new ChatError('INVALID', `the schema "${schema}" has ${has}; migrate was asked for ${partitions} partitions (partitioning is fixed by the first migration)`, {
      issues: [{ path: 'partitions', message: `existing: ${has}` }],
    });
  }
}

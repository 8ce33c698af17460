import { Migrator, NO_MIGRATIONS, sql } from 'kysely';
import type { Kysely, Migration, MigrationResultSet } from 'kysely';
import { sendBatchFunction } from './migration-send-batch.js';
import { checkSchemaName, tableRef } from './tables.js';
import type { TableRef } from './tables.js';
import { readViewsMigration } from './migration-read-views.js';
import { checkExistingPartitions, checkPartitions, partitionClause, partitionsOf, PARTITIONED_TABLES } from './partitions.js';
import { feedMigration } from './migration-feed.js';
import { moderationMigration } from './migration-moderation.js';

/** Options of {@link migrate} and {@link migrateDown}. */
export interface MigrateOptions<DB = unknown> {
  /** The database. */
  db: Kysely<DB>;
  /** Postgres schema holding Parley's tables (created when missing). Default: the connection's search_path (usually `public`). */
  schema?: string;
  /**
   * Hash-partition the conversation-keyed tables (events, members, hidden) by conversation id into
   * this many partitions (2–1024), with Postgres' native partitioning. Decided when the tables are
   * created: a later run may leave it out, and a different count is refused (`ChatError` `INVALID`).
   * See docs/storage-postgres.md, "Partitioned tables". Default: plain tables.
   */
  partitions?: number;
}

/** What a migration run did. */
export interface MigrateReport {
  /** Names of the migrations applied (up) or reverted (down), in order. */
  executed: string[];
}

const exec = (db: Kysely<unknown>, statements: Array<ReturnType<typeof sql>>) =>
  statements.reduce<Promise<unknown>>((prev, s) => prev.then(() => s.execute(db)), Promise.resolve());

/** The first schema: every table of the store. See docs/storage-postgres.md for the reasoning. */
function initial(t: TableRef, schema: string | undefined, partitions?: number): Migration {
  const idx = (name: string) => sql.id(name);
  const fts = sql.raw(`to_tsvector('simple'::regconfig, text)`);
  return {
    async up(db) {
      if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      await exec(db, [
        sql`create table ${t('users')} (
          id text collate "C" primary key,
          created_at bigint not null,
          updated_at bigint not null,
          last_seen_at bigint,
          display_name text not null,
          avatar_url text,
          status_text text,
          metadata jsonb
        )`,
        sql`create table ${t('contacts')} (
          owner_id text collate "C" not null,
          user_id text collate "C" not null,
          created_at bigint not null,
          updated_at bigint not null,
          blocked boolean not null default false,
          alias text,
          primary key (owner_id, user_id)
        )`,
        sql`create table ${t('conversations')} (
          id text collate "C" primary key,
          last_seq bigint not null,
          message_count bigint not null,
          last_activity_at bigint not null,
          created_at bigint not null,
          updated_at bigint not null,
          member_count integer not null,
          message_ttl_seconds integer,
          kind text not null,
          created_by text collate "C" not null,
          direct_pair text collate "C",
          title text,
          avatar_url text,
          metadata jsonb,
          last_message jsonb
        )`,
        sql`create unique index ${idx('conversations_direct_pair_key')} on ${t('conversations')} (direct_pair)`,
        sql`create index ${idx('conversations_channels_idx')} on ${t('conversations')} (id) where kind = 'channel'`,
        sql`create index ${idx('conversations_ttl_idx')} on ${t('conversations')} (id) where message_ttl_seconds is not null`,
        sql`create table ${t('members')} (
          conversation_id text collate "C" not null,
          user_id text collate "C" not null,
          join_seq bigint not null,
          left_seq bigint,
          delivered_seq bigint not null,
          read_seq bigint not null,
          read_ord bigint not null,
          muted_until bigint,
          joined_at bigint not null,
          updated_at bigint not null,
          role text not null,
          past_windows jsonb,
          primary key (conversation_id, user_id)
        ) ${partitionClause(partitions)}`,
        sql`create index ${idx('members_user_idx')} on ${t('members')} (user_id)`,
        sql`create table ${t('events')} (
          conversation_id text collate "C" not null,
          seq bigint not null,
          at bigint not null,
          ord integer not null,
          type smallint not null,
          actor_id text collate "C" not null,
          id text,
          target bigint,
          created_at bigint,
          edited_at bigint,
          deleted_at bigint,
          reply_to bigint,
          pinned boolean,
          kind text,
          client_id text collate "C",
          text text,
          attachments jsonb,
          mentions jsonb,
          reactions jsonb,
          call jsonb,
          metadata jsonb,
          data jsonb,
          primary key (conversation_id, seq)
        ) ${partitionClause(partitions)}`,
        sql`create unique index ${idx('events_client_id_key')} on ${t('events')} (conversation_id, actor_id, client_id) where client_id is not null`,
        sql`create index ${idx('events_search_idx')} on ${t('events')} using gin (${fts}) where type = 1 and deleted_at is null`,
        sql`create index ${idx('events_deleted_idx')} on ${t('events')} (deleted_at) where deleted_at is not null`,
        sql`create table ${t('hidden')} (
          user_id text collate "C" not null,
          conversation_id text collate "C" not null,
          seq bigint not null,
          primary key (user_id, conversation_id, seq)
        ) ${partitionClause(partitions)}`,
        ...PARTITIONED_TABLES.flatMap((table) => partitionsOf(t, table, partitions)),
        sql`create table ${t('calls')} (
          id text collate "C" primary key,
          conversation_id text collate "C" not null,
          started_at bigint not null,
          status text not null,
          participant_ids text[] not null,
          body jsonb not null
        )`,
        sql`create index ${idx('calls_participants_idx')} on ${t('calls')} using gin (participant_ids)`,
        sql`create index ${idx('calls_live_idx')} on ${t('calls')} (conversation_id) where status in ('ringing', 'active')`,
        sql`create table ${t('bus_payloads')} (
          id bigserial primary key,
          created_at timestamptz not null default now(),
          payload text not null
        )`,
      ]);
    },
    async down(db) {
      for (const table of ['bus_payloads', 'calls', 'hidden', 'events', 'members', 'conversations', 'contacts', 'users']) {
        await sql`drop table if exists ${t(table)}`.execute(db);
      }
    },
  };
}

/** The name of the send function (qualified like the tables). */
export const APPEND_MESSAGE_FN = 'parley_append_message';

/**
 * The message send as a PL/pgSQL function: the same single statement as before (see append.ts and
 * docs/storage-postgres.md, "The append path"), but its plan is cached per session instead of the
 * large statement being parsed, analysed and planned on every send. The function runs inside the
 * caller's statement, so a send is still one statement and one transaction.
 */
function appendMessageFunction(t: TableRef): Migration {
  const fn = t(APPEND_MESSAGE_FN);
  return {
    async up(db) {
      await sql`create function ${fn}(
          p_cid text, p_sender text, p_required text, p_preview jsonb,
          p_at bigint, p_type smallint, p_actor text, p_id text, p_target bigint, p_created_at bigint, p_edited_at bigint,
          p_deleted_at bigint, p_reply_to bigint, p_pinned boolean, p_kind text, p_client_id text, p_text text,
          p_attachments jsonb, p_mentions jsonb, p_reactions jsonb, p_call jsonb, p_metadata jsonb, p_data jsonb)
        returns setof ${t('conversations')} language plpgsql volatile as $body$
        begin
          return query
          with lk as (
            select user_id, left_seq from ${t('members')}
            where conversation_id = p_cid and user_id = any(array[p_sender, p_required])
            order by user_id for no key update
          ), ok as (
            select count(*) filter (where user_id = p_required and left_seq is null) as active from lk
          ), c as (
            update ${t('conversations')} as cv set
              last_seq = cv.last_seq + 1, message_count = cv.message_count + 1,
              last_activity_at = p_at, updated_at = p_at,
              last_message = jsonb_set(p_preview, '{seq}', to_jsonb(cv.last_seq + 1))
            from ok
            where cv.id = p_cid and (p_required is null or ok.active > 0)
            returning cv.*
          ), e as (
            insert into ${t('events')} (conversation_id, seq, ord, at, type, actor_id, id, target, created_at, edited_at,
              deleted_at, reply_to, pinned, kind, client_id, text, attachments, mentions, reactions, call, metadata, data)
            select c.id, c.last_seq, c.message_count, p_at, p_type, p_actor, p_id, p_target, p_created_at, p_edited_at,
              p_deleted_at, p_reply_to, p_pinned, p_kind, p_client_id, p_text, p_attachments, p_mentions, p_reactions,
              p_call, p_metadata, p_data from c
          ), s as (
            update ${t('members')} as m set
              read_seq = greatest(m.read_seq, c.last_seq), delivered_seq = greatest(m.delivered_seq, c.last_seq),
              read_ord = c.message_count, updated_at = p_at
            from c where m.conversation_id = c.id and m.user_id = p_sender
          )
          select * from c;
        end
        $body$`.execute(db);
    },
    async down(db) {
      await sql`drop function if exists ${fn}(text, text, text, jsonb, bigint, smallint, text, text, bigint, bigint,
        bigint, bigint, bigint, boolean, text, text, text, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)`.execute(db);
    },
  };
}

/** All migrations, by name (names sort in the order they apply). */
function migrationsFor(schema: string | undefined, partitions?: number): Record<string, Migration> {
  const t = tableRef(schema);
  return {
    '0001_initial': initial(t, schema, partitions),
    '0002_append_message_function': appendMessageFunction(t),
    '0003_send_batch': sendBatchFunction(t),
    '0004_read_views': readViewsMigration(t),
    '0005_feed': feedMigration(t),
    '0006_moderation': moderationMigration(t),
  };
}

async function migratorFor<DB>({ db, schema, partitions }: MigrateOptions<DB>): Promise<Migrator> {
  const checked = checkSchemaName(schema);
  const migrations = migrationsFor(checked, checkPartitions(partitions));
  // kysely looks for its bookkeeping tables in every schema when none is named, so a copy in
  // another schema would be mistaken for ours: always name one (the current one by default).
  const bookkeeping =
    checked ?? String((await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? 'public');
  await checkExistingPartitions(db as unknown as Kysely<unknown>, bookkeeping, partitions);
  return new Migrator({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the Migrator takes any database type
    db: db as unknown as Kysely<any>,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'parley_migrations',
    migrationLockTableName: 'parley_migrations_lock',
    migrationTableSchema: bookkeeping,
  });
}

function report(result: MigrationResultSet): MigrateReport {
  if (result.error !== undefined) throw result.error;
  return { executed: (result.results ?? []).map((r) => r.migrationName) };
}

const isKysely = <DB>(value: unknown): value is Kysely<DB> =>
  typeof value === 'object' && value !== null && typeof (value as { selectFrom?: unknown }).selectFrom === 'function';

const optionsOf = <DB>(input: Kysely<DB> | MigrateOptions<DB>): MigrateOptions<DB> => (isKysely<DB>(input) ? { db: input } : input);

/**
 * Bring the schema up to date (creates the Postgres schema when given). Safe to run twice and from
 * several processes at once (kysely's migration lock). Accepts the `Kysely` instance itself or options.
 */
export async function migrate<DB>(input: Kysely<DB> | MigrateOptions<DB>): Promise<MigrateReport> {
  return report(await (await migratorFor(optionsOf(input))).migrateToLatest());
}

/**
 * Revert every migration (drops Parley's tables; the migration bookkeeping tables stay).
 * Safe to run twice. Accepts the `Kysely` instance itself or options.
 */
export async function migrateDown<DB>(input: Kysely<DB> | MigrateOptions<DB>): Promise<MigrateReport> {
  return report(await (await migratorFor(optionsOf(input))).migrateTo(NO_MIGRATIONS));
}

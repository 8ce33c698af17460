import { sql } from 'kysely';
import type { Migration } from 'kysely';
import { createSendBatch } from './migration-send-batch.js';
import type { TableRef } from './tables.js';

/**
 * Migration 0006: permissions and moderation.
 *
 * - `reports`: the moderation queue, keyed by (conversation, id); one report per reporter per
 *   message or user (`reports_once_key`).
 * - `conversations.permissions`: the conversation's own grants (a `PermissionOverride`), null when
 *   it follows the app's table; `conversations.moderation`: freeze and slow mode, null until a
 *   moderator sets either. Both read under the row lock by every append that checks them.
 * - `members.last_post_at`: when the member last sent a message (slow mode), set by every send.
 * - `restrictions`: bans and mutes, one row per (conversation, user, kind), written only by the
 *   `moderation` events of the conversation's log (under its row lock), read by the appends that
 *   are `moderated`.
 * - The send function learns the `recheck` outcome and `last_post_at` (see `SendBatchVersion.permissions`):
 *   sends where any of that state is present leave the group commit for the transaction path.
 */
export function moderationMigration(t: TableRef): Migration {
  return {
    async up(db) {
      await sql`alter table ${t('conversations')} add column permissions jsonb, add column moderation jsonb`.execute(db);
      await sql`alter table ${t('members')} add column last_post_at bigint`.execute(db);
      await sql`create table ${t('restrictions')} (
        conversation_id text collate "C" not null,
        user_id text collate "C" not null,
        kind text not null,
        until bigint,
        reason text,
        actor_id text collate "C" not null,
        at bigint not null,
        primary key (conversation_id, user_id, kind)
      )`.execute(db);
      await sql`create table ${t('reports')} (
        conversation_id text collate "C" not null,
        id text collate "C" not null,
        reporter_id text collate "C" not null,
        target_user_id text collate "C" not null,
        seq bigint,
        reason text not null,
        status text not null,
        created_at bigint not null,
        resolved_by text collate "C",
        resolved_at bigint,
        action text,
        primary key (conversation_id, id)
      )`.execute(db);
      await sql`create unique index ${sql.id('reports_once_key')} on ${t('reports')} (conversation_id, reporter_id, target_user_id, coalesce(seq, 0))`.execute(db);
      await createSendBatch(db, t, { permissions: true });
    },
    async down(db) {
      await createSendBatch(db, t, { permissions: false, replace: true });
      await sql`drop table ${t('reports')}`.execute(db);
      await sql`drop table ${t('restrictions')}`.execute(db);
      await sql`alter table ${t('members')} drop column last_post_at`.execute(db);
      await sql`alter table ${t('conversations')} drop column permissions, drop column moderation`.execute(db);
    },
  };
}

import { sql } from 'kysely';
import type { Migration } from 'kysely';
import type { TableRef } from './tables.js';

/**
 * Migration 0005: the change feed's state (see docs/feed-and-webhooks.md).
 *
 * - `feed_cursors`: per consumer and conversation, the last seq processed. Per-conversation seqs
 *   are gap-free in commit order (the conversation row lock orders appends), so "events after my
 *   seq" can never skip one; a global insert-order position could.
 * - `feed_leases`: which node processes a consumer, until when (engine-clock ms).
 * - `feed_parked`: dead letters, events a consumer gave up on.
 * - `push_devices`: the devices users registered for push notifications (read by the push feed
 *   consumer of `@parley/push`), per user, bounded by the store's `putDevice`.
 */
export function feedMigration(t: TableRef): Migration {
  return {
    async up(db) {
      await sql`create table ${t('feed_cursors')} (
        consumer text collate "C" not null,
        conversation_id text collate "C" not null,
        seq bigint not null,
        primary key (consumer, conversation_id)
      )`.execute(db);
      await sql`create table ${t('feed_leases')} (
        consumer text collate "C" primary key,
        holder text not null,
        expires_at bigint not null
      )`.execute(db);
      await sql`create table ${t('feed_parked')} (
        consumer text collate "C" not null,
        conversation_id text collate "C" not null,
        seq bigint not null,
        reason text not null,
        at bigint not null,
        primary key (consumer, conversation_id, seq)
      )`.execute(db);
      await sql`create table ${t('push_devices')} (
        user_id text collate "C" not null,
        device_id text collate "C" not null,
        provider text not null,
        token text not null,
        level text not null,
        created_at bigint not null,
        updated_at bigint not null,
        primary key (user_id, device_id)
      )`.execute(db);
    },
    async down(db) {
      for (const name of ['push_devices', 'feed_parked', 'feed_leases', 'feed_cursors']) await sql`drop table if exists ${t(name)}`.execute(db);
    },
  };
}

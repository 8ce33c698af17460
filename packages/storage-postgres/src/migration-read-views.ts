import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { TableRef } from './tables.js';

const exec = async (db: Kysely<unknown>, statements: Array<ReturnType<typeof sql>>) => {
  for (const s of statements) await s.execute(db);
};

/**
 * Migration 0004: what the read paths need to show a former member everything as it was at its
 * `leftSeq` (see docs/concepts.md, "Former members"), and the index of paged sync.
 *
 * - `events.original_text`: the text a message was sent with, kept from its first edit on. A
 *   trigger fills it on the update that first sets `edited_at`, and nulls it on any update that
 *   leaves the message deleted (delete for everyone, purge, expiry), so erasure cannot miss it
 *   whichever statement deletes. The write path does not need to know about it.
 * - `members.left_view`: the conversation as of the leave, taken by a trigger on the update that
 *   sets `left_seq` (inside the leave's transaction, under the conversation lock every membership
 *   change holds), cleared on rejoin.
 * - `events_target_idx` on (conversation_id, target, seq): the mutations of a page of messages.
 * - `events_original_search_idx`, `events_edit_search_idx`: full-text search of the texts a former
 *   member saw (as sent, and as edited before it left).
 * - `members_user_conversation_idx` on (user_id, conversation_id): sync pages by conversation id.
 */
export function readViewsMigration(t: TableRef): Migration {
  const idx = (name: string) => sql.id(name);
  const eventsFn = t('parley_keep_original_text');
  const membersFn = t('parley_keep_left_view');
  return {
    async up(db) {
      await exec(db, [
        sql`alter table ${t('events')} add column original_text text`,
        sql`alter table ${t('members')} add column left_view jsonb`,
        sql`create index ${idx('events_target_idx')} on ${t('events')} (conversation_id, target, seq) where target is not null`,
        sql`create index ${idx('events_original_search_idx')} on ${t('events')}
          using gin (to_tsvector('simple'::regconfig, original_text)) where type = 1 and original_text is not null`,
        sql`create index ${idx('events_edit_search_idx')} on ${t('events')} using gin (to_tsvector('simple'::regconfig, text)) where type = 2`,
        sql`create index ${idx('members_user_conversation_idx')} on ${t('members')} (user_id, conversation_id)`,
        sql`create function ${eventsFn}() returns trigger language plpgsql as $body$
          begin
            if new.deleted_at is not null then
              new.original_text := null;
            elsif old.edited_at is null and new.edited_at is not null and old.original_text is null then
              new.original_text := old.text;
            end if;
            return new;
          end
          $body$`,
        sql`create trigger parley_keep_original_text before update on ${t('events')} for each row
          when (old.type = 1 and ((new.deleted_at is not null and new.original_text is not null)
            or (old.edited_at is null and new.edited_at is not null)))
          execute function ${eventsFn}()`,
        sql`create function ${membersFn}() returns trigger language plpgsql as $body$
          begin
            if new.left_seq is null then
              new.left_view := null;
              return new;
            end if;
            select jsonb_build_object(
                'seq', new.left_seq, 'title', c.title, 'avatarUrl', c.avatar_url,
                'metadata', coalesce(c.metadata, '{}'::jsonb), 'messageTtlSeconds', c.message_ttl_seconds,
                'memberCount', (select count(*) from ${t('members')} x
                  where x.conversation_id = new.conversation_id and x.left_seq is null and x.user_id <> new.user_id),
                'messageCount', c.message_count, 'lastActivityAt', c.last_activity_at, 'lastMessage', c.last_message)
              into new.left_view
              from ${t('conversations')} c where c.id = new.conversation_id;
            return new;
          end
          $body$`,
        sql`create trigger parley_keep_left_view before update on ${t('members')} for each row
          when (old.left_seq is distinct from new.left_seq)
          execute function ${membersFn}()`,
      ]);
    },
    async down(db) {
      await exec(db, [
        sql`drop trigger if exists parley_keep_left_view on ${t('members')}`,
        sql`drop trigger if exists parley_keep_original_text on ${t('events')}`,
        sql`drop function if exists ${membersFn}()`,
        sql`drop function if exists ${eventsFn}()`,
        sql`drop index if exists ${t('members_user_conversation_idx')}`,
        sql`drop index if exists ${t('events_edit_search_idx')}`,
        sql`drop index if exists ${t('events_original_search_idx')}`,
        sql`drop index if exists ${t('events_target_idx')}`,
        sql`alter table ${t('members')} drop column if exists left_view`,
        sql`alter table ${t('events')} drop column if exists original_text`,
      ]);
    },
  };
}

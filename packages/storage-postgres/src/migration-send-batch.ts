import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { TableRef } from './tables.js';

/** The name of the batched send function (qualified like the tables). */
export const SEND_BATCH_FN = 'parley_send_batch';

/**
 * Group commit for sends: one call places a whole batch of messages in one transaction (one round
 * trip, one commit), each with its own outcome. The preconditions of a send are checked here,
 * under the conversation row lock, the same rules as core's `checkAppend`:
 * `no-conversation`, `never-member` / `not-active` (when a required member is given), `blocked`
 * (direct conversations), `no-target` (a `replyTo` that does not exist or that the sender cannot
 * see). A resend of a (conversation, sender, clientId) already stored, also earlier in the same
 * batch, is `dup` and carries the original row — also when a precondition would refuse it now
 * (the sender left since): exactly once wins. Outcomes come back in the order of `i`.
 *
 * Locks: every conversation of the batch first, in id order, in one statement; then member rows.
 * Every other writer takes a conversation's row lock before its member rows, so batches and
 * single appends cannot deadlock. The conversation row is updated once per conversation per batch.
 */
export function sendBatchFunction(t: TableRef): Migration {
  const fn = t(SEND_BATCH_FN);
  return {
    up: (db) => createSendBatch(db, t, { permissions: false }),
    async down(db) {
      await sql`drop function if exists ${fn}(jsonb)`.execute(db);
    },
  };
}

/** Versions of the send function: what each migration that (re)creates it adds. */
export interface SendBatchVersion {
  /**
   * Migration 0006: an item with `pc` (a send with permission or moderation preconditions the batch
   * does not evaluate) is answered `recheck` when the conversation has its own grants or a
   * moderation state, or the sender has a restriction there; the store then checks it on the
   * transaction path with core's `checkAppend`. Every send sets the sender's `last_post_at`.
   */
  permissions: boolean;
  /** Replace the function in place (`create or replace`); implied by `permissions`. */
  replace?: boolean;
}

/** Create (or replace) the send function in the given version. */
export async function createSendBatch(db: Kysely<unknown>, t: TableRef, version: SendBatchVersion): Promise<void> {
  const fn = t(SEND_BATCH_FN);
  const create = sql.raw(version.permissions || version.replace ? 'create or replace function' : 'create function');
  const pcColumn = sql.raw(version.permissions ? ', pc boolean' : '');
  const pcCheck = version.permissions
    ? sql`elsif r.pc and (cv.permissions is not null or cv.moderation is not null
                or exists (select 1 from ${t('restrictions')} x where x.conversation_id = r.cid and x.user_id = r.sender)) then
              refusal := 'recheck';
            `
    : sql``;
  const lastPost = sql.raw(version.permissions ? ', last_post_at = r.at' : '');
  await sql`${create} ${fn}(p jsonb)
        returns table (o_i integer, o_outcome text, o_seq bigint, o_ord bigint, o_doc jsonb, o_conv jsonb)
        language plpgsql volatile as $body$
        declare
          r record;
          cv record;
          mem record;
          cur_id text := null;
          cur_found boolean := false;
          cur_seq bigint;
          cur_count bigint;
          cur_at bigint;
          cur_last jsonb;
          cur_dirty boolean := false;
          first_of_conv boolean;
          new_seq bigint;
          inserted bigint;
          refusal text;
        begin
          perform 1 from ${t('conversations')}
            where id in (select distinct x->>'cid' from jsonb_array_elements(p) x) order by id for update;
          for r in
            select * from jsonb_to_recordset(p) as x(i integer, cid text, sender text, required text, nb boolean,
              preview jsonb, at bigint, id text, created_at bigint, edited_at bigint, deleted_at bigint, reply_to bigint,
              pinned boolean, kind text, client_id text, text text, attachments jsonb, mentions jsonb, reactions jsonb,
              call jsonb, metadata jsonb, data jsonb${pcColumn})
            order by cid, i
          loop
            first_of_conv := cur_id is distinct from r.cid;
            if first_of_conv then
              if cur_dirty then
                update ${t('conversations')} set last_seq = cur_seq, message_count = cur_count, last_activity_at = cur_at,
                  updated_at = cur_at, last_message = cur_last where id = cur_id;
              end if;
              cur_dirty := false;
              cur_id := r.cid;
              select * into cv from ${t('conversations')} where id = r.cid;
              cur_found := found;
              if cur_found then
                cur_seq := cv.last_seq;
                cur_count := cv.message_count;
              end if;
            end if;
            o_i := r.i; o_seq := null; o_ord := null; o_doc := null;
            o_conv := case when first_of_conv and cur_found then to_jsonb(cv) else null end;
            if not cur_found then
              o_outcome := 'no-conversation'; return next; continue;
            end if;
            select m.left_seq, m.join_seq, m.past_windows into mem from ${t('members')} m
              where m.conversation_id = r.cid and m.user_id = r.sender;
            refusal := null;
            if r.required is not null and not found then
              refusal := 'never-member';
            elsif r.required is not null and mem.left_seq is not null then
              refusal := 'not-active';
            ${pcCheck}elsif r.nb and cv.kind = 'direct' and exists (
                select 1 from ${t('contacts')} ct join ${t('members')} pm on pm.conversation_id = r.cid and pm.user_id <> r.sender
                where ct.blocked and ((ct.owner_id = r.sender and ct.user_id = pm.user_id) or (ct.owner_id = pm.user_id and ct.user_id = r.sender))) then
              refusal := 'blocked';
            elsif r.reply_to is not null and (
                r.reply_to > cur_seq
                or not exists (select 1 from ${t('events')} e where e.conversation_id = r.cid and e.seq = r.reply_to and e.type = 1)
                or (mem.join_seq is not null
                  and not (r.reply_to >= mem.join_seq and (mem.left_seq is null or r.reply_to <= mem.left_seq))
                  and not exists (select 1 from jsonb_array_elements(coalesce(mem.past_windows, '[]'::jsonb)) w
                    where r.reply_to between (w->>'joinSeq')::bigint and (w->>'leftSeq')::bigint))) then
              refusal := 'no-target';
            end if;
            if refusal is not null then
              -- a resend of a stored message gets the original, whatever changed since (exactly once
              -- wins); looked up only on this rare path, so the usual send pays nothing for it
              if r.client_id is not null then
                select e.seq, to_jsonb(e.*) into o_seq, o_doc from ${t('events')} e
                  where e.conversation_id = r.cid and e.actor_id = r.sender and e.client_id = r.client_id and e.type = 1;
              end if;
              o_outcome := case when o_doc is null then refusal else 'dup' end;
              return next; continue;
            end if;
            new_seq := cur_seq + 1;
            inserted := null;
            insert into ${t('events')} (conversation_id, seq, ord, at, type, actor_id, id, target, created_at, edited_at,
                deleted_at, reply_to, pinned, kind, client_id, text, attachments, mentions, reactions, call, metadata, data)
              values (r.cid, new_seq, cur_count + 1, r.at, 1, r.sender, r.id, null, r.created_at, r.edited_at,
                r.deleted_at, r.reply_to, r.pinned, r.kind, r.client_id, r.text, r.attachments, r.mentions, r.reactions,
                r.call, r.metadata, r.data)
              on conflict (conversation_id, actor_id, client_id) where client_id is not null do nothing
              returning seq into inserted;
            if inserted is null then
              select e.seq, to_jsonb(e.*) into o_seq, o_doc from ${t('events')} e
                where e.conversation_id = r.cid and e.actor_id = r.sender and e.client_id = r.client_id and e.type = 1;
              o_outcome := 'dup'; return next; continue;
            end if;
            cur_seq := new_seq;
            cur_count := cur_count + 1;
            cur_at := r.at;
            cur_last := jsonb_set(r.preview, '{seq}', to_jsonb(new_seq));
            cur_dirty := true;
            update ${t('members')} set read_seq = greatest(read_seq, new_seq), delivered_seq = greatest(delivered_seq, new_seq),
                read_ord = cur_count, updated_at = r.at${lastPost}
              where conversation_id = r.cid and user_id = r.sender;
            o_outcome := 'ok'; o_seq := new_seq; o_ord := cur_count;
            return next;
          end loop;
          if cur_dirty then
            update ${t('conversations')} set last_seq = cur_seq, message_count = cur_count, last_activity_at = cur_at,
              updated_at = cur_at, last_message = cur_last where id = cur_id;
          end if;
        end
        $body$`.execute(db);
}

import { applyMutation, conversationChanges, moderationEffect, previewOf } from '@parley/core';
import type { AppendResult, AppendState, ConversationChanges, EventDraft } from '@parley/core';
import type { ConversationEvent } from '@parley/protocol';
import { sql } from 'kysely';
import type { RawBuilder, Transaction } from 'kysely';
import { eventRowValues, jsonOrNull, toConversation } from './rows.js';
import type { EventRowValues, Row } from './rows.js';
import { EVENT_TYPE_CODES } from './tables.js';
import type { TableRef } from './tables.js';

const EVENT_COLUMNS = sql.raw(
  '(conversation_id, seq, ord, at, type, actor_id, id, target, created_at, edited_at, deleted_at, reply_to, pinned, kind, client_id, text, attachments, mentions, reactions, call, metadata, data)',
);

/** The typed SQL values of an event row after its (conversation_id, seq, ord). */
function eventValues(v: EventRowValues): RawBuilder<unknown> {
  return sql`${v.at}::bigint, ${v.type}::smallint, ${v.actorId}::text, ${v.id}, ${v.target}::bigint,
    ${v.createdAt}::bigint, ${v.editedAt}::bigint, ${v.deletedAt}::bigint, ${v.replyTo}::bigint, ${v.pinned}::boolean,
    ${v.kind}::text, ${v.clientId}::text, ${v.text}::text, ${v.attachments}::jsonb, ${v.mentions}::jsonb,
    ${v.reactions}::jsonb, ${v.call}::jsonb, ${v.metadata}::jsonb, ${v.data}::jsonb`;
}

type OtherDraft = Exclude<EventDraft, { type: 'message' | 'conversation.created' }>;

/**
 * Apply an event other than a message, inside the transaction that holds the conversation's row
 * lock and whose preconditions were checked against `state`: its effects, the event row, the
 * conversation counters.
 */
export async function applyOther(t: TableRef, trx: Transaction<unknown>, draft: OtherDraft, state: AppendState): Promise<AppendResult> {
  const { conversation } = state;
  const cid = draft.conversationId;
  const seq = conversation.lastSeq + 1;
  const event = { ...draft, seq } as ConversationEvent;
  let memberDelta = 0;
  let lastMessage: string | null | undefined; // undefined: unchanged
  let moderation: string | undefined; // undefined: unchanged
  const changes: ConversationChanges = {};

  switch (event.type) {
    case 'message.edited':
    case 'message.deleted':
    case 'message.reaction':
    case 'message.pinned': {
      const next = applyMutation(state.message!, event);
      await sql`update ${t('events')} set text = ${next.text}::text, edited_at = ${next.editedAt}::bigint,
          deleted_at = ${next.deletedAt}::bigint, reactions = ${jsonOrNull(next.reactions)}::jsonb, pinned = ${next.pinned ? true : null}::boolean
        where conversation_id = ${cid} and seq = ${event.target}::bigint`.execute(trx);
      if (event.type === 'message.deleted') {
        // the texts the edit events carried are copies of the content: erased with it
        await sql`update ${t('events')} set text = '' where conversation_id = ${cid} and target = ${event.target}::bigint
          and type = ${EVENT_TYPE_CODES['message.edited']}`.execute(trx);
      }
      if (conversation.lastMessage?.seq === event.target) lastMessage = JSON.stringify(previewOf(next));
      break;
    }
    case 'member.joined': {
      const previous = state.members.get(event.userId);
      const past = previous ? [...previous.pastWindows, { joinSeq: previous.joinSeq, leftSeq: previous.leftSeq! }] : [];
      await sql`insert into ${t('members')} (conversation_id, user_id, join_seq, left_seq, delivered_seq, read_seq, read_ord,
          muted_until, joined_at, updated_at, role, past_windows)
        values (${cid}, ${event.userId}, ${seq}, null, ${seq}, ${seq}, ${conversation.messageCount},
          ${previous?.mutedUntil ?? null}::bigint, ${event.at}, ${event.at}, ${event.role}, ${jsonOrNull(past)}::jsonb)
        on conflict (conversation_id, user_id) do update set join_seq = excluded.join_seq, left_seq = null,
          delivered_seq = excluded.delivered_seq, read_seq = excluded.read_seq, read_ord = excluded.read_ord,
          muted_until = excluded.muted_until, joined_at = excluded.joined_at, updated_at = excluded.updated_at,
          role = excluded.role, past_windows = excluded.past_windows`.execute(trx);
      memberDelta = 1;
      break;
    }
    case 'member.left':
      await sql`update ${t('members')} set left_seq = ${seq}, updated_at = ${event.at}
        where conversation_id = ${cid} and user_id = ${event.userId}`.execute(trx);
      memberDelta = -1;
      break;
    case 'member.role':
      await sql`update ${t('members')} set role = ${event.role}, updated_at = ${event.at}
        where conversation_id = ${cid} and user_id = ${event.userId}`.execute(trx);
      break;
    case 'conversation.updated':
      Object.assign(changes, conversationChanges(event.changes));
      break;
    case 'moderation': {
      const effect = moderationEffect(event, conversation.moderation);
      const gone = effect.put ?? effect.lift;
      if (gone) {
        await sql`delete from ${t('restrictions')} where conversation_id = ${cid} and user_id = ${gone.userId} and kind = ${gone.kind}`.execute(trx);
      }
      if (effect.put) {
        const r = effect.put;
        await sql`insert into ${t('restrictions')} (conversation_id, user_id, kind, until, reason, actor_id, at)
          values (${cid}, ${r.userId}, ${r.kind}, ${r.until}::bigint, ${r.reason}::text, ${r.actorId}, ${r.at}::bigint)`.execute(trx);
      }
      if (effect.state) moderation = JSON.stringify(effect.state);
      break;
    }
    case 'call': {
      const call = event.call;
      await sql`insert into ${t('calls')} (id, conversation_id, started_at, status, participant_ids, body)
        values (${call.id}, ${call.conversationId}, ${call.startedAt}, ${call.status},
          ${call.participants.map((p) => p.userId)}::text[], ${JSON.stringify(call)}::jsonb)
        on conflict (id) do update set conversation_id = excluded.conversation_id, started_at = excluded.started_at,
          status = excluded.status, participant_ids = excluded.participant_ids, body = excluded.body`.execute(trx);
      break;
    }
  }

  await sql`insert into ${t('events')} ${EVENT_COLUMNS}
    values (${cid}, ${seq}::bigint, ${conversation.messageCount}::integer, ${eventValues(eventRowValues(draft))})`.execute(trx);
  const set = [
    sql`last_seq = ${seq}::bigint`,
    sql`updated_at = ${event.at}::bigint`,
    sql`member_count = member_count + ${memberDelta}::integer`,
  ];
  if (lastMessage !== undefined) set.push(sql`last_message = ${lastMessage}::jsonb`);
  if (changes.title !== undefined) set.push(sql`title = ${changes.title}::text`);
  if (changes.avatarUrl !== undefined) set.push(sql`avatar_url = ${changes.avatarUrl}::text`);
  if (changes.metadata !== undefined) set.push(sql`metadata = ${jsonOrNull(changes.metadata)}::jsonb`);
  if (changes.messageTtlSeconds !== undefined) set.push(sql`message_ttl_seconds = ${changes.messageTtlSeconds}::integer`);
  if (changes.permissions !== undefined) set.push(sql`permissions = ${jsonOrNull(changes.permissions)}::jsonb`);
  if (moderation !== undefined) set.push(sql`moderation = ${moderation}::jsonb`);
  const updated = await sql<Row>`update ${t('conversations')} set ${sql.join(set)} where id = ${cid} returning *`.execute(trx);
  return { event, conversation: toConversation(updated.rows[0]!), duplicate: false };
}

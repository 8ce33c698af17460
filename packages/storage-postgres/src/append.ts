import { ChatError, applyMutation, previewOf, visibleMessage } from '@parley/core';
import type { AppendInput, AppendResult, ConversationRecord, EventDraft, MemberRecord } from '@parley/core';
import type { ConversationEvent, Message } from '@parley/protocol';
import { sql } from 'kysely';
import type { Kysely, RawBuilder, Transaction } from 'kysely';
import { eventRowValues, jsonOrNull, toConversation, toEvent, toMember, toStoredMessage } from './rows.js';
import type { EventRowValues, Row } from './rows.js';
import { APPEND_MESSAGE_FN } from './migrations.js';
import { MESSAGE_TYPE } from './tables.js';
import type { TableRef } from './tables.js';

/** What the append path needs from the store. */
export interface AppendContext {
  db: Kysely<unknown>;
  t: TableRef;
}

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

/** True for Postgres' unique violation on the exactly-once key of messages. */
function isClientIdConflict(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'events_client_id_key';
}

/** User ids whose member rows an append locks before the conversation row (always in user_id order). */
function lockUsers(draft: EventDraft, requireActiveMember: string | undefined): string[] {
  const ids = new Set<string>();
  if (requireActiveMember !== undefined) ids.add(requireActiveMember);
  if (draft.type === 'message') ids.add(draft.message.senderId);
  if ('userId' in draft && typeof draft.userId === 'string') ids.add(draft.userId);
  return [...ids];
}

/**
 * Place an event: see {@link ChatStore.append}. Lock order everywhere: the member rows involved
 * (by user_id), then the conversation row. The conversation row lock makes seq assignment and
 * commit order agree (a smaller seq can never commit after a larger one is visible).
 */
export async function append(ctx: AppendContext, input: AppendInput): Promise<AppendResult> {
  const { draft } = input;
  if (draft.type === 'message') return appendMessage(ctx, draft, input.requireActiveMember);
  return ctx.db.transaction().execute((trx) => appendOther(ctx, trx, draft, input.requireActiveMember));
}

type MessageDraft = Extract<EventDraft, { type: 'message' }>;

/**
 * The hot path: one statement (one round trip, one implicit transaction), the call of the send
 * function created by migration 0002 (its body: lock the member rows, bump the conversation
 * counters if the required member is active, insert the event, advance the sender's watermarks).
 */
async function appendMessage(ctx: AppendContext, draft: MessageDraft, required: string | undefined): Promise<AppendResult> {
  const { t, db } = ctx;
  const cid = draft.conversationId;
  const sender = draft.message.senderId;
  const preview = JSON.stringify(previewOf({ ...draft.message, seq: 0 }));
  const v = eventRowValues(draft);
  let rows: Row[];
  try {
    // One statement: the send function (migration 0002) runs the send with a plan cached per session.
    const result = await sql<Row>`select * from ${t(APPEND_MESSAGE_FN)}(${cid}, ${sender}, ${required ?? null}, ${preview},
      ${v.at}, ${v.type}, ${v.actorId}, ${v.id}, ${v.target}, ${v.createdAt}, ${v.editedAt}, ${v.deletedAt}, ${v.replyTo},
      ${v.pinned}, ${v.kind}, ${v.clientId}, ${v.text}, ${v.attachments}, ${v.mentions}, ${v.reactions}, ${v.call}, ${v.metadata}, ${v.data})`.execute(db);
    rows = result.rows;
  } catch (error) {
    if (draft.message.clientId !== null && isClientIdConflict(error)) {
      const original = await findByClientId(ctx, cid, sender, draft.message.clientId);
      if (original) return original;
    }
    throw error;
  }
  const row = rows[0];
  if (!row) {
    const exists = await sql<Row>`select 1 from ${t('conversations')} where id = ${cid}`.execute(db);
    if (exists.rows.length === 0) throw new ChatError('NOT_FOUND', 'conversation not found');
    throw new ChatError('FORBIDDEN', 'not an active member of this conversation');
  }
  const conversation = toConversation(row);
  const message: Message = { ...draft.message, seq: conversation.lastSeq };
  const event = { ...draft, seq: conversation.lastSeq, message: visibleMessage(message) } as ConversationEvent;
  return { event, conversation, duplicate: false };
}

/** The original of a retried send, with the conversation as it is now. */
async function findByClientId(ctx: AppendContext, cid: string, sender: string, clientId: string): Promise<AppendResult | null> {
  const { t, db } = ctx;
  const result = await sql<Row>`
    select e.*, to_jsonb(c.*) as conversation from ${t('events')} e join ${t('conversations')} c on c.id = e.conversation_id
    where e.conversation_id = ${cid} and e.actor_id = ${sender} and e.client_id = ${clientId} and e.type = ${MESSAGE_TYPE}`.execute(db);
  const row = result.rows[0];
  if (!row) return null;
  return { event: toEvent(row), conversation: toConversation(row.conversation as Row), duplicate: true };
}

type OtherDraft = Exclude<EventDraft, { type: 'message' }>;

/** Every other event: a short transaction that locks, checks, applies and logs. */
async function appendOther(ctx: AppendContext, trx: Transaction<unknown>, draft: OtherDraft, required: string | undefined): Promise<AppendResult> {
  const { t } = ctx;
  const cid = draft.conversationId;
  const users = lockUsers(draft, required);
  if (users.length > 0) {
    await sql`select 1 from ${t('members')} where conversation_id = ${cid} and user_id = any(${users}::text[])
      order by user_id for no key update`.execute(trx);
  }
  const locked = await sql<Row>`select * from ${t('conversations')} where id = ${cid} for update`.execute(trx);
  if (!locked.rows[0]) throw new ChatError('NOT_FOUND', 'conversation not found');
  if (draft.type === 'conversation.created') throw new ChatError('INVALID', 'conversation.created cannot be appended');
  const conversation = toConversation(locked.rows[0]);
  // read after the conversation lock: every membership change holds it, so this is current
  const memberRows = users.length
    ? (await sql<Row>`select * from ${t('members')} where conversation_id = ${cid} and user_id = any(${users}::text[])`.execute(trx)).rows
    : [];
  const members = new Map<string, MemberRecord>(memberRows.map((r) => [String(r.user_id), toMember(r)]));
  if (required !== undefined && members.get(required)?.leftSeq !== null) {
    throw new ChatError('FORBIDDEN', 'not an active member of this conversation');
  }
  const subject = 'userId' in draft && typeof draft.userId === 'string' ? members.get(draft.userId) : undefined;
  if (draft.type === 'member.joined' && subject && subject.leftSeq === null) throw new ChatError('CONFLICT', 'already a member');
  if ((draft.type === 'member.left' || draft.type === 'member.role') && (!subject || subject.leftSeq !== null)) {
    throw new ChatError('CONFLICT', 'not an active member');
  }
  let target: Message | null = null;
  if ('target' in draft) {
    const found = await sql<Row>`select * from ${t('events')} where conversation_id = ${cid} and seq = ${draft.target}::bigint and type = ${MESSAGE_TYPE}`.execute(trx);
    if (!found.rows[0]) throw new ChatError('NOT_FOUND', 'message not found');
    target = toStoredMessage(found.rows[0]);
  }

  const seq = conversation.lastSeq + 1;
  const event = { ...draft, seq } as ConversationEvent;
  let memberDelta = 0;
  let lastMessage: string | null | undefined; // undefined: unchanged
  const changes: Partial<Pick<ConversationRecord, 'title' | 'avatarUrl' | 'metadata' | 'messageTtlSeconds'>> = {};

  switch (event.type) {
    case 'message.edited':
    case 'message.deleted':
    case 'message.reaction':
    case 'message.pinned': {
      const next = applyMutation(target!, event);
      await sql`update ${t('events')} set text = ${next.text}::text, edited_at = ${next.editedAt}::bigint,
          deleted_at = ${next.deletedAt}::bigint, reactions = ${jsonOrNull(next.reactions)}::jsonb, pinned = ${next.pinned ? true : null}::boolean
        where conversation_id = ${cid} and seq = ${event.target}::bigint`.execute(trx);
      if (conversation.lastMessage?.seq === event.target) lastMessage = JSON.stringify(previewOf(next));
      break;
    }
    case 'member.joined': {
      const previous = subject;
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
      Object.assign(changes, event.changes);
      break;
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
  const updated = await sql<Row>`update ${t('conversations')} set ${sql.join(set)} where id = ${cid} returning *`.execute(trx);
  return { event, conversation: toConversation(updated.rows[0]!), duplicate: false };
}

import { appendNeeds, appendRefused, checkAppend, heldByEveryone, previewOf, visibleMessage } from '@parley/core';
import type { AppendInput, AppendRefusal, AppendResult, AppendState, EventDraft, MemberRecord } from '@parley/core';
import type { ConversationEvent } from '@parley/protocol';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { applyOther } from './append-effects.js';
import { SEND_BATCH_FN } from './migration-send-batch.js';
import { eventRowValues, toConversation, toEvent, toMember, toRestriction, toStoredMessage } from './rows.js';
import type { Row } from './rows.js';
import type { Batcher } from './send-batcher.js';
import { MESSAGE_TYPE } from './tables.js';
import type { TableRef } from './tables.js';

/** What the append path needs from the store. */
export interface AppendContext {
  db: Kysely<unknown>;
  t: TableRef;
  /** The group commit of sends. */
  sends: Batcher<SendItem, AppendResult>;
}

type MessageDraft = Extract<EventDraft, { type: 'message' }>;

/** One send of a batch: the draft and the preconditions the batch function checks. */
export interface SendItem {
  draft: MessageDraft;
  required: string | null;
  notBlocked: boolean;
  /** The send needs permissions every role holds by the app's table: refused `recheck` where the conversation has its own grants. */
  permissionCheck: boolean;
}

/** The batch function's answer for a send it leaves to the transaction path (see `SendBatchVersion.permissions`). */
const RECHECK = 'recheck';

/** True when the batch function can check every precondition of a message append (the usual send). */
function batchable(input: AppendInput): boolean {
  const { draft } = input;
  if (draft.type !== 'message') return false;
  const extra = input.actorRoles ?? input.subjectRoles ?? input.targetNotDeleted ?? input.maxMembers ?? input.keepOwner;
  if (input.permission && !heldByEveryone(input.permission.table, input.permission.needed)) return false;
  return extra === undefined && (input.requireActiveMember === undefined || input.requireActiveMember === draft.message.senderId);
}

const isRecheck = (error: unknown) => error instanceof RecheckError;

/** A send the batch function left to the transaction path. */
class RecheckError extends Error {}

/**
 * Place an event: see {@link ChatStore.append}. Sends go through the group commit (one statement
 * for many sends); every other event runs in a short transaction that locks the conversation row,
 * reads what the preconditions need, checks them with core's `checkAppend`, and applies the event.
 * Lock order everywhere: the conversation row, then member rows. The conversation row lock makes
 * seq assignment and commit order agree (a smaller seq can never commit after a larger one is visible).
 */
export function append(ctx: AppendContext, input: AppendInput): Promise<AppendResult> {
  // a store on the host's own transaction (inChatTransaction): no group commit, no transaction of ours
  if (ctx.db.isTransaction) return appendLocked(ctx, ctx.db as Transaction<unknown>, input);
  const locked = () => ctx.db.transaction().execute((trx) => appendLocked(ctx, trx, input));
  if (batchable(input)) {
    const draft = input.draft as MessageDraft;
    const item = { draft, required: input.requireActiveMember ?? null, notBlocked: input.notBlocked === true, permissionCheck: input.permission !== undefined || input.moderated !== undefined };
    return ctx.sends.submit(draft.conversationId, item).catch((error: unknown) => (isRecheck(error) ? locked() : Promise.reject(error)));
  }
  return locked();
}

/** The JSON of one send for the batch function (JSON columns embedded as they are stored). */
function itemJson(i: number, item: SendItem): string {
  const { draft } = item;
  const v = eventRowValues(draft);
  const preview = JSON.stringify(previewOf({ ...draft.message, seq: 0 }));
  const s = JSON.stringify;
  return `{"i":${i},"cid":${s(draft.conversationId)},"sender":${s(draft.message.senderId)},"required":${s(item.required)},"nb":${item.notBlocked},"pc":${item.permissionCheck},` +
    `"preview":${preview},"at":${v.at},"id":${s(v.id)},"created_at":${s(v.createdAt)},"edited_at":${s(v.editedAt)},` +
    `"deleted_at":${s(v.deletedAt)},"reply_to":${s(v.replyTo)},"pinned":${s(v.pinned)},"kind":${s(v.kind)},"client_id":${s(v.clientId)},` +
    `"text":${s(v.text)},"attachments":${v.attachments ?? 'null'},"mentions":${v.mentions ?? 'null'},"reactions":${v.reactions ?? 'null'},` +
    `"call":${v.call ?? 'null'},"metadata":${v.metadata ?? 'null'},"data":${v.data ?? 'null'}}`;
}

/** SQLSTATE classes that say the database or the connection failed, not the batch's content. */
const TRANSIENT = /^(08|40|53|57|58)/;

/**
 * Run one batch through the send function. When the statement fails for a reason that may be one
 * item's content, each item is retried alone (in order), so one bad send never fails its neighbours.
 */
export async function runSendBatch(db: Kysely<unknown> | Transaction<unknown>, t: TableRef, items: SendItem[]): Promise<Array<AppendResult | Error>> {
  const payload = `[${items.map((item, i) => itemJson(i, item)).join(',')}]`;
  let rows: Row[];
  try {
    rows = (await sql<Row>`select * from ${t(SEND_BATCH_FN)}(${payload}::jsonb)`.execute(db)).rows;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (items.length === 1 || typeof code !== 'string' || TRANSIENT.test(code)) throw error;
    const out: Array<AppendResult | Error> = [];
    for (const item of items) {
      try {
        out.push(...(await runSendBatch(db, t, [item])));
      } catch (single) {
        out.push(single instanceof Error ? single : new Error(String(single)));
      }
    }
    return out;
  }
  const conversations = new Map<string, Row>();
  for (const r of rows) if (r.o_conv) conversations.set(String((r.o_conv as Row).id), r.o_conv as Row);
  const out: Array<AppendResult | Error> = new Array(items.length);
  for (const r of rows) {
    const i = Number(r.o_i);
    const { draft } = items[i]!;
    const outcome = String(r.o_outcome);
    const conv = conversations.get(draft.conversationId);
    if (outcome === 'ok') {
      const seq = Number(r.o_seq);
      const base = toConversation(conv!);
      const message = visibleMessage({ ...draft.message, seq });
      const conversation = { ...base, lastSeq: seq, messageCount: Number(r.o_ord), lastActivityAt: draft.at, updatedAt: draft.at, lastMessage: previewOf(message) };
      out[i] = { event: { ...draft, seq, message } as ConversationEvent, conversation, duplicate: false };
    } else if (outcome === 'dup') {
      out[i] = { event: toEvent(r.o_doc as Row), conversation: toConversation(conv!), duplicate: true };
    } else if (outcome === RECHECK) {
      out[i] = new RecheckError('the conversation has its own grants');
    } else {
      out[i] = appendRefused(outcome as AppendRefusal);
    }
  }
  return out;
}

/** What the preconditions of `input` need, read under the conversation lock held by `trx`. */
async function readState(t: TableRef, trx: Transaction<unknown>, input: AppendInput, conversation: Row): Promise<AppendState> {
  const cid = input.draft.conversationId;
  const needs = appendNeeds(input);
  // one after the other: a transaction is one connection, and pg queues (and will refuse) overlapping queries
  const memberRows =
    needs.members.length === 0
      ? []
      : (await sql<Row>`select * from ${t('members')} where conversation_id = ${cid} and user_id = any(${needs.members}::text[])`.execute(trx)).rows;
  const messageRows =
    needs.message === undefined
      ? []
      : (await sql<Row>`select * from ${t('events')} where conversation_id = ${cid} and seq = ${needs.message}::bigint and type = ${MESSAGE_TYPE}`.execute(trx)).rows;
  const owners = needs.owners
    ? Number((await sql<Row>`select count(*)::int as n from ${t('members')} where conversation_id = ${cid} and role = 'owner' and left_seq is null`.execute(trx)).rows[0]?.n ?? 0)
    : undefined;
  const blocked =
    needs.blocks && conversation.kind === 'direct'
      ? (
          await sql<Row>`select exists (select 1 from ${t('contacts')} ct join ${t('members')} a on a.conversation_id = ${cid} and a.user_id = ct.owner_id
            join ${t('members')} b on b.conversation_id = ${cid} and b.user_id = ct.user_id where ct.blocked) as blocked`.execute(trx)
        ).rows[0]?.blocked === true
      : undefined;
  const restrictionRows =
    needs.restrictions && needs.members.length > 0
      ? (await sql<Row>`select * from ${t('restrictions')} where conversation_id = ${cid} and user_id = any(${needs.members}::text[])`.execute(trx)).rows
      : undefined;
  return {
    conversation: toConversation(conversation),
    members: new Map<string, MemberRecord>(memberRows.map((r) => [String(r.user_id), toMember(r)])),
    ...(restrictionRows !== undefined ? { restrictions: restrictionRows.map(toRestriction) } : {}),
    ...(needs.message !== undefined ? { message: messageRows[0] ? toStoredMessage(messageRows[0]) : null } : {}),
    ...(owners !== undefined ? { owners } : {}),
    ...(blocked !== undefined ? { blocked } : {}),
  };
}

/** Lock the conversation, check the preconditions, apply the event. */
async function appendLocked(ctx: AppendContext, trx: Transaction<unknown>, input: AppendInput): Promise<AppendResult> {
  const { t } = ctx;
  const { draft } = input;
  const locked = await sql<Row>`select * from ${t('conversations')} where id = ${draft.conversationId} for update`.execute(trx);
  const row = locked.rows[0];
  if (!row) throw appendRefused('no-conversation');
  if (draft.type === 'message' && draft.message.clientId !== null) {
    // a resend of a stored message gets the original before any precondition (as the batch function does)
    const original = await sql<Row>`select * from ${t('events')} where conversation_id = ${draft.conversationId}
      and actor_id = ${draft.message.senderId} and client_id = ${draft.message.clientId} and type = ${MESSAGE_TYPE}`.execute(trx);
    if (original.rows[0]) return { event: toEvent(original.rows[0]), conversation: toConversation(row), duplicate: true };
  }
  const state = await readState(t, trx, input, row);
  checkAppend(input, state);
  if (draft.type === 'message') {
    // checkAppend decided the permission above, under this lock
    const [result] = await runSendBatch(trx, t, [{ draft, required: input.requireActiveMember ?? null, notBlocked: input.notBlocked === true, permissionCheck: false }]);
    if (result instanceof Error) throw result;
    return result!;
  }
  if (draft.type === 'conversation.created') throw new Error('unreachable: checkAppend refuses conversation.created');
  return applyOther(t, trx, draft, state);
}

import { visibleMessage } from '@parley/core';
import type { ConversationRecord, EventDraft, MemberRecord } from '@parley/core';
import type { Call, Contact, ConversationEvent, Message, Report, Restriction, User } from '@parley/protocol';
import { EVENT_TYPE_CODES, EVENT_TYPE_NAMES } from './tables.js';

/** A row as a driver returns it (bigint may come back as a string, as a number or inside jsonb). */
export type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const str = (value: unknown): string => String(value);
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const json = <T>(value: unknown, empty: T): T => {
  if (value === null || value === undefined) return empty;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
};

/** Store empty objects and arrays as SQL NULL (no bytes), everything else as JSON text for a `::jsonb` cast. */
export function jsonOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value) && value.length === 0) return null;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return null;
  return JSON.stringify(value);
}

/** Separator of the two user ids in `direct_pair` (ids cannot contain whitespace). */
const PAIR_SEPARATOR = ' ';

/** The `direct_pair` key of a sorted pair, or null for non-direct conversations. */
export function pairKey(pair: readonly string[]): string | null {
  return pair.length === 2 ? pair.join(PAIR_SEPARATOR) : null;
}

/** Map a `users` row. */
export function toUser(r: Row): User {
  return {
    id: str(r.id),
    displayName: str(r.display_name),
    avatarUrl: strOrNull(r.avatar_url),
    statusText: strOrNull(r.status_text),
    metadata: json(r.metadata, {}),
    lastSeenAt: numOrNull(r.last_seen_at),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** Map a `contacts` row. */
export function toContact(r: Row): Contact {
  return {
    ownerId: str(r.owner_id),
    userId: str(r.user_id),
    alias: strOrNull(r.alias),
    blocked: Boolean(r.blocked),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** Map a `conversations` row (also accepts its `to_jsonb` form). */
export function toConversation(r: Row): ConversationRecord {
  const pair = strOrNull(r.direct_pair);
  return {
    id: str(r.id),
    kind: str(r.kind) as ConversationRecord['kind'],
    title: strOrNull(r.title),
    avatarUrl: strOrNull(r.avatar_url),
    createdBy: str(r.created_by),
    createdAt: num(r.created_at),
    lastSeq: num(r.last_seq),
    messageCount: num(r.message_count),
    lastActivityAt: num(r.last_activity_at),
    lastMessage: json(r.last_message, null),
    memberCount: num(r.member_count),
    directPair: pair === null ? [] : pair.split(PAIR_SEPARATOR),
    metadata: json(r.metadata, {}),
    messageTtlSeconds: numOrNull(r.message_ttl_seconds),
    ...(r.permissions === null || r.permissions === undefined ? {} : { permissions: json(r.permissions, {}) }),
    ...(r.moderation === null || r.moderation === undefined ? {} : { moderation: json(r.moderation, { frozen: false, slowModeMs: null }) }),
    updatedAt: num(r.updated_at),
  };
}

/** Map a `restrictions` row. */
export function toRestriction(r: Row): Restriction {
  return {
    conversationId: str(r.conversation_id),
    userId: str(r.user_id),
    kind: str(r.kind) as Restriction['kind'],
    until: numOrNull(r.until),
    reason: strOrNull(r.reason),
    actorId: str(r.actor_id),
    at: num(r.at),
  };
}

/** Map a `reports` row. */
export function toReport(r: Row): Report {
  return {
    id: str(r.id),
    conversationId: str(r.conversation_id),
    reporterId: str(r.reporter_id),
    targetUserId: str(r.target_user_id),
    seq: numOrNull(r.seq),
    reason: str(r.reason),
    status: str(r.status) as Report['status'],
    createdAt: num(r.created_at),
    resolvedBy: strOrNull(r.resolved_by),
    resolvedAt: numOrNull(r.resolved_at),
    action: strOrNull(r.action) as Report['action'],
  };
}

/** Map a `members` row (also accepts its `to_jsonb` form). */
export function toMember(r: Row): MemberRecord {
  return {
    conversationId: str(r.conversation_id),
    userId: str(r.user_id),
    role: str(r.role) as MemberRecord['role'],
    joinSeq: num(r.join_seq),
    leftSeq: numOrNull(r.left_seq),
    deliveredSeq: num(r.delivered_seq),
    readSeq: num(r.read_seq),
    readOrd: num(r.read_ord),
    mutedUntil: numOrNull(r.muted_until),
    joinedAt: num(r.joined_at),
    pastWindows: json(r.past_windows, []),
    updatedAt: num(r.updated_at),
    ...(r.last_post_at === null || r.last_post_at === undefined ? {} : { lastPostAt: num(r.last_post_at) }),
    ...(r.left_view === null || r.left_view === undefined ? {} : { leftView: toLeftView(r.left_view) }),
  };
}

/** Map `members.left_view` (built by migration 0004's trigger; bigint counters arrive as JSON numbers). */
function toLeftView(value: unknown): NonNullable<MemberRecord['leftView']> {
  const v = json<Record<string, unknown>>(value, {});
  return {
    seq: num(v.seq),
    title: strOrNull(v.title),
    avatarUrl: strOrNull(v.avatarUrl),
    metadata: json(v.metadata, {}),
    messageTtlSeconds: numOrNull(v.messageTtlSeconds),
    memberCount: num(v.memberCount),
    messageCount: num(v.messageCount),
    lastActivityAt: num(v.lastActivityAt),
    lastMessage: json(v.lastMessage, null),
  };
}

/** Map a `calls` row. */
export function toCall(r: Row): Call {
  return json<Call>(r.body, null as unknown as Call);
}

/** The message stored in a `message` event row, in its stored state (content of deleted messages kept). */
export function toStoredMessage(r: Row): Message {
  const at = num(r.at);
  return {
    conversationId: str(r.conversation_id),
    seq: num(r.seq),
    id: str(r.id),
    senderId: str(r.actor_id),
    kind: (strOrNull(r.kind) ?? 'text') as Message['kind'],
    text: strOrNull(r.text),
    attachments: json(r.attachments, []),
    replyTo: numOrNull(r.reply_to),
    mentions: json(r.mentions, []),
    reactions: json(r.reactions, {}),
    clientId: strOrNull(r.client_id),
    call: json(r.call, null),
    metadata: json(r.metadata, {}),
    pinned: r.pinned === true,
    createdAt: numOrNull(r.created_at) ?? at,
    editedAt: numOrNull(r.edited_at),
    deletedAt: numOrNull(r.deleted_at),
  };
}

/** Map an `events` row to the event readers see (messages in their current, visible state). */
export function toEvent(r: Row): ConversationEvent {
  const type = EVENT_TYPE_NAMES[num(r.type)]!;
  const data = json<Record<string, unknown>>(r.data, {});
  const base = { conversationId: str(r.conversation_id), seq: num(r.seq), actorId: str(r.actor_id), at: num(r.at) };
  if (type === 'message') {
    const actorId = typeof data.actorId === 'string' ? data.actorId : base.actorId;
    return { type, ...base, actorId, message: visibleMessage(toStoredMessage(r)) };
  }
  const event: Record<string, unknown> = { type, ...base, ...data };
  if (r.target !== null && r.target !== undefined) event.target = num(r.target);
  if (type === 'message.edited') event.text = str(r.text ?? '');
  return event as ConversationEvent;
}

/** Column values of an `events` row, in {@link EVENT_COLUMNS} order minus conversation_id, seq, ord. */
export interface EventRowValues {
  at: number;
  type: number;
  actorId: string;
  id: string | null;
  target: number | null;
  createdAt: number | null;
  editedAt: number | null;
  deletedAt: number | null;
  replyTo: number | null;
  pinned: boolean | null;
  kind: string | null;
  clientId: string | null;
  text: string | null;
  attachments: string | null;
  mentions: string | null;
  reactions: string | null;
  call: string | null;
  metadata: string | null;
  data: string | null;
}

const COMMON_KEYS = new Set(['type', 'conversationId', 'seq', 'actorId', 'at', 'target']);

/** Turn a draft into the column values of its `events` row (empty JSON and defaults stored as NULL). */
export function eventRowValues(draft: EventDraft): EventRowValues {
  const type = EVENT_TYPE_CODES[draft.type];
  const none = {
    id: null,
    target: null,
    createdAt: null,
    editedAt: null,
    deletedAt: null,
    replyTo: null,
    pinned: null,
    kind: null,
    clientId: null,
    text: null,
    attachments: null,
    mentions: null,
    reactions: null,
    call: null,
    metadata: null,
  };
  if (draft.type === 'message') {
    const m = draft.message;
    return {
      ...none,
      at: draft.at,
      type,
      actorId: m.senderId,
      id: m.id,
      createdAt: m.createdAt === draft.at ? null : m.createdAt,
      editedAt: m.editedAt,
      deletedAt: m.deletedAt,
      replyTo: m.replyTo,
      pinned: m.pinned ? true : null,
      kind: m.kind === 'text' ? null : m.kind,
      clientId: m.clientId,
      text: m.text,
      attachments: jsonOrNull(m.attachments),
      mentions: jsonOrNull(m.mentions),
      reactions: jsonOrNull(m.reactions),
      call: jsonOrNull(m.call),
      metadata: jsonOrNull(m.metadata),
      data: draft.actorId === m.senderId ? null : JSON.stringify({ actorId: draft.actorId }),
    };
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(draft)) if (!COMMON_KEYS.has(k) && !(draft.type === 'message.edited' && k === 'text')) rest[k] = v;
  return {
    ...none,
    at: draft.at,
    type,
    actorId: draft.actorId,
    target: 'target' in draft ? draft.target : null,
    text: draft.type === 'message.edited' ? draft.text : null,
    data: jsonOrNull(rest),
  };
}

import type { Call, Contact, EventType, Message, Report, Restriction, User } from '@parley/protocol';
import type { ConversationRecord, MemberRecord } from '@parley/core';
import type { Collection, Db, ObjectId } from 'mongodb';

/** A message as stored inside its event document: everything but the keys the event already holds. */
export type MessageBody = Omit<Message, 'conversationId' | 'seq'>;

/**
 * One event of a conversation log. `_id` is derived from (conversationId, seq), so the log holds at
 * most one event per seq on any server. `message` events carry the message in its current state.
 */
export interface EventDoc {
  _id: ObjectId;
  conversationId: string;
  seq: number;
  type: EventType;
  actorId: string;
  at: number;
  /** The conversation's messageCount after this event (the unread ordinal). */
  ord: number;
  /** For `message` events. */
  message?: MessageBody;
  /** For mutation events: the seq of the message they change. */
  target?: number;
  /** The remaining fields of the event, by type. */
  data: Record<string, unknown>;
  /** Bumped on every change of the stored message (compare-and-set guard). */
  rev: number;
  /** Seq of the last mutation event applied to the stored message (idempotency guard). */
  mutSeq: number;
  /** Set once the content of a deleted message has been erased. */
  erased?: boolean;
  /** `message` events edited at least once: the text as sent; null once the message is deleted. */
  originalText?: string | null;
}

/** Lifecycle of a conversation document: readers only ever see `ready` ones. */
export type ConversationState = 'pending' | 'ready';

/** A conversation document: the record, plus what creation needs until it is `ready`. */
export interface ConversationDoc extends ConversationRecord {
  _id: ObjectId;
  state: ConversationState;
  /** The creation input kept while `pending`, so anyone can finish an interrupted creation. */
  init?: Array<{ userId: string; role: MemberRecord['role'] }>;
}

/** A member document: the record, plus guards and the ordinal at leaving. */
export interface MemberDoc extends MemberRecord {
  _id: ObjectId;
  /** Seq of the last membership event (join, leave, role) applied to this document. */
  eventSeq: number;
  /** The conversation's messageCount at `leftSeq` (null while active). */
  leftOrd: number | null;
}

/** The claim on a direct pair: at most one per pair because its `_id` is derived from the pair. */
export interface DirectDoc {
  _id: ObjectId;
  pair: string[];
  conversationId: string;
}

/** A user document. */
export interface UserDoc extends User {
  _id: ObjectId;
}

/** A contact document. */
export interface ContactDoc extends Contact {
  _id: ObjectId;
}

/** A delete-for-me mark. */
export interface HiddenDoc {
  _id: ObjectId;
  userId: string;
  conversationId: string;
  seq: number;
  at: number;
}

/** A call document; `eventSeq` is the seq of the `call` event that wrote it last. */
export interface CallDoc extends Call {
  _id: ObjectId;
  eventSeq: number;
}

/** A ban or mute; `eventSeq` is the seq of the `moderation` event that wrote it last; lifted ones stay as tombstones. */
export interface RestrictionDoc extends Restriction {
  _id: ObjectId;
  eventSeq: number;
  lifted: boolean;
}

/** A report; its `_id` is derived from (conversation, reporter, target, seq). */
export interface ReportDoc extends Report {
  _id: ObjectId;
}

/** The collections of one store. */
export interface Collections {
  events: Collection<EventDoc>;
  conversations: Collection<ConversationDoc>;
  members: Collection<MemberDoc>;
  directs: Collection<DirectDoc>;
  users: Collection<UserDoc>;
  contacts: Collection<ContactDoc>;
  hidden: Collection<HiddenDoc>;
  calls: Collection<CallDoc>;
  restrictions: Collection<RestrictionDoc>;
  reports: Collection<ReportDoc>;
}

/** Default prefix of collection names. */
export const DEFAULT_PREFIX = 'parley_';

/** The names of the store's collections, without prefix. */
export const COLLECTION_NAMES = ['events', 'conversations', 'members', 'directs', 'users', 'contacts', 'hidden', 'calls', 'restrictions', 'reports'] as const;

/** Open the store's collections in `db`, named `<prefix><name>`. */
export function collectionsOf({ db, prefix = DEFAULT_PREFIX }: { db: Db; prefix?: string }): Collections {
  return {
    events: db.collection<EventDoc>(`${prefix}events`),
    conversations: db.collection<ConversationDoc>(`${prefix}conversations`),
    members: db.collection<MemberDoc>(`${prefix}members`),
    directs: db.collection<DirectDoc>(`${prefix}directs`),
    users: db.collection<UserDoc>(`${prefix}users`),
    contacts: db.collection<ContactDoc>(`${prefix}contacts`),
    hidden: db.collection<HiddenDoc>(`${prefix}hidden`),
    calls: db.collection<CallDoc>(`${prefix}calls`),
    restrictions: db.collection<RestrictionDoc>(`${prefix}restrictions`),
    reports: db.collection<ReportDoc>(`${prefix}reports`),
  };
}

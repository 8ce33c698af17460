import type { AppendRefusal, appendNeeds, appendRefused, checkAppend } from './preconditions.js';
import type { FeedStore } from './feed-store.js';
import type { PushDeviceStore } from './push-device-store.js';
import type { PermissionTable } from './permissions.js';
import type {
  Call,
  Contact,
  Conversation,
  ConversationEvent,
  ConversationKind,
  Member,
  Message,
  Permission,
  Report,
  ReportAction,
  ReportStatus,
  Restriction,
  RestrictionKind,
  Role,
  User,
} from '@parley/protocol';

/**
 * What a store can do beyond the contract's minimum. The engine and the conformance kit read these
 * flags instead of special-casing stores. Every flag has a default (see {@link DEFAULT_CAPABILITIES}).
 */
export interface StoreCapabilities {
  /**
   * Search uses a full-text index with word stemming (Postgres `tsvector`, Mongo `$text`).
   * When false, `search` matches case-insensitive substrings. Default `false`.
   */
  fullTextSearch: boolean;
  /** The store runs multi-statement transactions. Default `false`. */
  transactions: boolean;
  /**
   * The backing database enforces unique keys (needed for exactly-once send and one direct
   * conversation per pair under concurrency). Only test doubles of a database set this to false;
   * the conformance kit then skips, by name, the suites that need it. Default `true`.
   */
  uniqueConstraints: boolean;
  /** The store keeps its data across `create()` calls with the same backing database. Default `false`. */
  persistent: boolean;
}

/** Defaults for {@link StoreCapabilities}. */
export const DEFAULT_CAPABILITIES: StoreCapabilities = {
  fullTextSearch: false,
  transactions: false,
  uniqueConstraints: true,
  persistent: false,
};

/** A member as stored: the public {@link Member} plus what unread counts and sync need. */
export interface MemberRecord extends Member {
  /** The conversation's `messageCount` when `readSeq` was last moved (unread = messageCount - readOrd). */
  readOrd: number;
  /** Earlier membership windows of a member who left and rejoined, oldest first. */
  pastWindows: Array<{ joinSeq: number; leftSeq: number }>;
  /** When this row last changed (watermarks, role, join/leave, mute), in engine-clock ms. */
  updatedAt: number;
  /**
   * The conversation as of `leftSeq` (what a former member keeps seeing), captured atomically with
   * the `member.left` event; `seq` equals the `leftSeq` it belongs to. Absent or null for active
   * members and for members who left before the store kept it (readers then fall back to the
   * current conversation with `lastSeq` clamped). Never sent to clients.
   */
  leftView?: ConversationSnapshot | null;
  /** When this member last sent a message (slow mode): set by `append` of a `message`. Absent or null before. Never sent to clients. */
  lastPostAt?: number | null;
}

/** The fields of a conversation a former member sees frozen at its `leftSeq`. */
export interface ConversationSnapshot {
  /** The `leftSeq` this snapshot was taken at. */
  seq: number;
  title: string | null;
  avatarUrl: string | null;
  metadata: Record<string, unknown>;
  messageTtlSeconds: number | null;
  /** Active members right after the leave (the leaver not counted). */
  memberCount: number;
  messageCount: number;
  lastActivityAt: number;
  lastMessage: ConversationRecord['lastMessage'];
}

/** A conversation as stored. */
export interface ConversationRecord extends Conversation {
  /** When this conversation's row last changed (any appended event), in engine-clock ms. */
  updatedAt: number;
}

/** One row of an inbox listing, as the store returns it. */
export interface InboxRow {
  conversation: ConversationRecord;
  member: MemberRecord;
  /** `conversation.messageCount - member.readOrd` for active members; frozen at leftSeq for former ones. */
  unread: number;
}

/**
 * An event before the store has placed it: no `seq` yet, and for `message` events a message
 * without `seq` (the store fills both with the same number).
 */
export type EventDraft = ConversationEvent extends infer E
  ? E extends { type: 'message'; message: Message }
    ? Omit<E, 'seq' | 'message'> & { message: Omit<Message, 'seq'> }
    : E extends ConversationEvent
      ? Omit<E, 'seq'>
      : never
  : never;

/**
 * Input of {@link ChatStore.append}: the event, and the preconditions that decide whether it may
 * commit. The store MUST check every precondition atomically with placing the event (under the
 * same lock or transaction that orders the conversation's log), so that no concurrent append can
 * change their outcome between the check and the commit. A refused precondition MUST throw the
 * ChatError of {@link appendRefused} for its {@link AppendRefusal} and write nothing. Stores read
 * what {@link appendNeeds} names and call {@link checkAppend}, or evaluate the same rules in their
 * own query language; the conformance kit's precondition and race suites hold every store to them.
 *
 * Preconditions that are always checked: the conversation exists (`no-conversation`);
 * `member.joined` needs the user not active (`already-member`); `member.left` and `member.role`
 * need them active (`not-member`); an event with a `target` needs that message to exist
 * (`no-target`), as does a message's `replyTo`, which MUST also be visible to the sender (within one
 * of their membership windows).
 */
export interface AppendInput {
  /** The event to place. `draft.conversationId` names the conversation. */
  draft: EventDraft;
  /**
   * This user MUST be an active member (leftSeq null) of the conversation: `never-member` when they
   * never were one, `not-active` when they left. Closes the race between a removal and an action.
   */
  requireActiveMember?: string;
  /** The role of `requireActiveMember` MUST be one of these (`actor-role`). Closes demotion races. */
  actorRoles?: readonly Role[];
  /** The subject of a member event (`draft.userId`), when it has a row, MUST hold one of these roles (`subject-role`). */
  subjectRoles?: readonly Role[];
  /** The target message (or `replyTo`) MUST NOT be deleted for everyone (`target-deleted`). */
  targetNotDeleted?: boolean;
  /** For `member.joined`: the active members after the join MUST be at most this many (`member-limit`). */
  maxMembers?: number;
  /** An event that takes an active owner away (their leave, or a role change from owner) MUST leave another active owner (`last-owner`). */
  keepOwner?: boolean;
  /** In a direct conversation, neither member MAY have blocked the other (`blocked`). */
  notBlocked?: boolean;
  /**
   * `requireActiveMember` (given with it) MUST hold every permission of `needed` under the grants in
   * force at commit: `table` for the conversation's kind, overlaid by the conversation's stored
   * `permissions` override (`actor-role`). Closes the race between a grant change and an action.
   * Stores need no logic of their own for it: {@link checkAppend} decides it from the conversation
   * they read under the lock.
   */
  permission?: PermissionCheck;
  /**
   * Moderation state that MUST allow the append, at the draft's time (`draft.at`), read under the
   * same lock: the conversation's moderation state and the restrictions of the users it names.
   * - `join`: neither the actor nor the user a `member.joined` brings in MAY be banned (`banned`).
   * - `post`: as `join`, and the actor MUST NOT be muted (`muted`); a frozen conversation refuses
   *   roles without `freeze` under `permission.table` (`frozen`).
   * - `message`: as `post`, and in slow mode the actor's `lastPostAt` MUST be at least `slowModeMs`
   *   ago, unless their role holds `setSlowMode` (`slow-mode`, RATE_LIMITED with `retryAfterMs`).
   * Stores read the restrictions when {@link appendNeeds} asks for them; {@link checkAppend} decides.
   */
  moderated?: 'join' | 'post' | 'message';
}

/** See {@link AppendInput.permission}. */
export interface PermissionCheck {
  /** Every one of these is needed. */
  needed: readonly Permission[];
  /** The app's permission table. */
  table: PermissionTable;
}

/** Result of {@link ChatStore.append}. */
export interface AppendResult {
  /** The placed event (for `message` events: the message as stored, or the original on a duplicate). */
  event: ConversationEvent;
  /** The conversation after the append. */
  conversation: ConversationRecord;
  /** True when a `message` with the same (conversationId, senderId, clientId) already existed: nothing was written. */
  duplicate: boolean;
}

/** Input of {@link ChatStore.createConversation}. */
export interface CreateConversationInput {
  id: string;
  kind: ConversationKind;
  title: string | null;
  avatarUrl: string | null;
  createdBy: string;
  metadata: Record<string, unknown>;
  /** For `direct`: the two user ids, sorted ascending. Empty otherwise. */
  directPair: string[];
  members: Array<{ userId: string; role: Role }>;
  now: number;
}

/** Input of {@link ChatStore.events}. */
export interface EventsQuery {
  conversationId: string;
  /** Only events with seq greater than this. */
  after?: number;
  /** Only events with seq less than this. */
  before?: number;
  /** Inclusive lower bound on seq (the reader's window start). */
  minSeq?: number;
  /** Inclusive upper bound on seq (the reader's window end, e.g. leftSeq). */
  maxSeq?: number;
  /** At most this many events. With `before` (or neither bound) the newest ones are chosen. */
  limit: number;
  /** Leave out message mutations (edits, deletes, reactions, pins). */
  timelineOnly: boolean;
}

/** Input of {@link ChatStore.search}. */
export interface SearchQuery {
  userId: string;
  query: string;
  /** Restrict to one conversation. */
  conversationId?: string;
  /** Keyset cursor: only hits older than this (createdAt, conversationId, seq), exclusive. */
  before?: { createdAt: number; conversationId: string; seq: number };
  limit: number;
}

/** Input of {@link ChatStore.inbox}. */
export interface InboxQuery {
  userId: string;
  /** Keyset cursor: only conversations strictly after this position in (lastActivityAt desc, id desc). */
  after?: { lastActivityAt: number; conversationId: string };
  limit: number;
}

/**
 * The storage contract. Stores hold data and guarantee the invariants that need atomicity; the
 * engine owns every rule (validation, authorization) and calls the store only with valid input.
 *
 * Stores MUST be safe to call concurrently from one process, and stores on a shared database
 * MUST be safe to use from many processes at once. Any failure of the backing database should
 * surface as a thrown error; the engine wraps everything that is not a `ChatError` into
 * `ChatError('UNAVAILABLE')` with the original as `cause`. A method that throws MUST leave no
 * partial write visible.
 *
 * Timestamps are passed in by the engine (from its clock); stores MUST NOT read their own clock
 * for domain fields.
 */
export interface ChatStore {
  /** What this store supports; missing flags take {@link DEFAULT_CAPABILITIES}. */
  readonly capabilities?: Partial<StoreCapabilities>;

  /** Release connections and timers. The store is unusable afterwards. Optional. */
  close?(): Promise<void>;

  /** Durable cursors, leases and dead letters of the change feed (`createFeed`). Optional: without it there is no feed. */
  readonly feed?: FeedStore;

  /** Devices registered for push notifications (`@parley/push`). Optional: without it there is no push. */
  readonly push?: PushDeviceStore;

  // ------------------------------------------------------------------ users

  /**
   * Create the user, or update the given fields of an existing one. Fields left `undefined` MUST
   * keep their stored value; on create they default to `null` / `{}` (displayName is then required
   * and given by the engine). `createdAt` is set once; `updatedAt` to `now`.
   */
  upsertUser(input: {
    id: string;
    displayName?: string;
    avatarUrl?: string | null;
    statusText?: string | null;
    metadata?: Record<string, unknown>;
    now: number;
  }): Promise<User>;

  /** The users that exist among `ids`, in any order. */
  getUsers(ids: string[]): Promise<User[]>;

  /** Users whose displayName contains `query`, case-insensitively; at most `limit`, ordered by displayName then id. */
  searchUsers(input: { query: string; limit: number }): Promise<User[]>;

  /** Set lastSeenAt; MUST NOT move it backwards. No-op for unknown users. */
  setLastSeen(input: { userId: string; at: number }): Promise<void>;

  // --------------------------------------------------------------- contacts

  /** The contact row of `ownerId` for `userId`, or null. */
  getContact(ownerId: string, userId: string): Promise<Contact | null>;

  /**
   * Create or update a contact. Fields left `undefined` keep their value (`alias` null and
   * `blocked` false on create). Returns the row after the change.
   */
  putContact(input: { ownerId: string; userId: string; alias?: string | null; blocked?: boolean; now: number }): Promise<Contact>;

  /** Delete a contact row. Returns whether one existed. */
  removeContact(input: { ownerId: string; userId: string }): Promise<boolean>;

  /** All contacts of `ownerId`, ordered by userId. */
  listContacts(ownerId: string): Promise<Contact[]>;

  /** True when either user has blocked the other. */
  isBlockedEitherWay(a: string, b: string): Promise<boolean>;

  /** True when the two users are both active members of at least one direct or group conversation. */
  sharesConversation(a: string, b: string): Promise<boolean>;

  // ---------------------------------------------------------- conversations

  /**
   * Create a conversation with its members (all with joinSeq = 1, deliveredSeq = readSeq = 1) and its
   * `conversation.created` event at seq 1, atomically: readers MUST never see the conversation
   * without its members or its first event.
   *
   * For `direct` conversations the store MUST keep at most one per `directPair`, also under
   * concurrent calls: when one exists it returns it with `created: false` and writes nothing.
   */
  createConversation(input: CreateConversationInput): Promise<{ conversation: ConversationRecord; created: boolean }>;

  /** The conversation, or null. */
  getConversation(id: string): Promise<ConversationRecord | null>;

  /** The direct conversation of a sorted pair, or null. */
  findDirect(pair: [string, string]): Promise<ConversationRecord | null>;

  /** Channels whose title contains `query` (all when absent), ordered by id, after the cursor id. */
  listChannels(input: { query?: string; afterId?: string; limit: number }): Promise<ConversationRecord[]>;

  // ---------------------------------------------------------------- members

  /** The member row (active or former), or null if the user never joined. */
  getMember(conversationId: string, userId: string): Promise<MemberRecord | null>;

  /** Active members ordered by userId, after `afterUserId` (exclusive). */
  listMembers(input: { conversationId: string; afterUserId?: string; limit: number }): Promise<MemberRecord[]>;

  /** Active members' user ids, all of them (used for fan-out and receipts). */
  memberIds(conversationId: string): Promise<string[]>;

  /**
   * Restrictions (bans, mutes) of a conversation ordered by (userId, kind), only those of `userIds`
   * when given, of `kind` when given, after the keyset position `after` (exclusive), at most `limit`.
   * Expired ones are included (callers compare `until` with their clock). Cost MUST follow the
   * conversation's restrictions (a key on (conversationId, userId, kind)), never its history.
   */
  restrictions(input: {
    conversationId: string;
    userIds?: string[];
    kind?: RestrictionKind;
    after?: { userId: string; kind: RestrictionKind };
    limit: number;
  }): Promise<Restriction[]>;

  // ---------------------------------------------------------------- reports

  /**
   * Store a report, unless the same reporter already reported the same thing (conversationId,
   * reporterId, targetUserId, seq): then return that one with `created: false` and write nothing,
   * also under concurrent calls.
   */
  putReport(report: Report): Promise<{ report: Report; created: boolean }>;

  /** A report of the conversation, or null. */
  getReport(input: { conversationId: string; id: string }): Promise<Report | null>;

  /**
   * Reports of a conversation ordered by id ascending (oldest first: ids are UUIDv7), of `status`
   * when given, leaving out those whose target is `excludeTarget`, with id greater than `afterId`,
   * at most `limit`. Cost MUST follow the conversation's reports (a key on (conversationId, id)).
   */
  listReports(input: { conversationId: string; status?: ReportStatus; excludeTarget?: string; afterId?: string; limit: number }): Promise<Report[]>;

  /**
   * Close an open report: set status, resolvedBy, resolvedAt and action — only if it is still
   * `open` (compare-and-set: of two moderators closing one report, exactly one succeeds). Returns the
   * report after the change, or null when it is not open (or does not exist).
   */
  closeReport(input: { conversationId: string; id: string; status: Exclude<ReportStatus, 'open'>; resolvedBy: string; resolvedAt: number; action: ReportAction }): Promise<Report | null>;

  /** How many reports of each status the conversation has (leaving out those about `excludeTarget`). */
  reportCounts(input: { conversationId: string; excludeTarget?: string }): Promise<Record<ReportStatus, number>>;

  /** Set a member's mutedUntil; returns the row, or null when not a member. */
  setMuted(input: { conversationId: string; userId: string; mutedUntil: number | null; now: number }): Promise<MemberRecord | null>;

  // --------------------------------------------------------------- the log

  /**
   * Place an event at the conversation's next seq and apply its effects, atomically, after
   * checking the preconditions of `input` under the same lock (see {@link AppendInput}).
   *
   * - Seq: MUST be `lastSeq + 1`, and visibility MUST be gap-free: once any reader has seen seq n,
   *   no event with a smaller seq may appear later (a later commit of a smaller seq breaks this).
   * - `message`: MUST store the message (seq = event seq) and increase `messageCount`; MUST set
   *   `lastActivityAt` and `lastMessage` (preview); MUST advance the sender's own
   *   deliveredSeq/readSeq to the new seq (and readOrd to the new messageCount). If a message
   *   with the same (conversationId, senderId, clientId) exists, MUST return it with
   *   `duplicate: true` and write nothing, also under concurrent retries.
   * - `message.edited` / `message.deleted` / `message.reaction` / `message.pinned`: MUST update the
   *   target message (text + editedAt = event.at; deletedAt = event.at; add/remove actorId under the
   *   emoji, idempotently; pinned), and refresh `lastMessage` when the target is the last message.
   *   Deleted messages keep their content in storage until {@link purgeDeleted}; reads MUST
   *   return them with `text: null`, `attachments: []`, `reactions: {}` and `metadata: {}`.
   *   `message.deleted` MUST also erase, in the same commit, the text of every earlier
   *   `message.edited` event of the target (set to `''`): no read path may return it afterwards.
   * - `member.joined`: MUST create or reactivate the member with `joinSeq = seq`, `leftSeq = null`,
   *   role, delivered/readSeq = seq, readOrd = messageCount, moving a previous window into
   *   `pastWindows` (refused with `already-member` when the user is already active).
   * - `member.left`: MUST set `leftSeq = seq` (refused with `not-member` when not active).
   * - `member.role`: MUST set the role (refused with `not-member` when not active).
   * - `conversation.updated`: MUST apply the present fields of `changes`.
   * - `call`: MUST upsert the call record `event.call`.
   * - `moderation`: MUST apply core's `moderationEffect(event, conversation.moderation)`: store or
   *   lift the restriction, or set the conversation's `moderation` state.
   * - `message`: MUST also set the sender's `lastPostAt` to `event.at`.
   * - every event: MUST set `lastSeq`, and `updatedAt = event.at`; `memberCount` follows joins/leaves.
   *
   * A `conversation.created` draft is invalid here (use {@link createConversation}); a missing
   * conversation is refused with `no-conversation`.
   */
  append(input: AppendInput): Promise<AppendResult>;

  /**
   * Events of a conversation in ascending seq order within the given bounds. `message` events
   * carry the message's current state (see {@link append} for deleted messages).
   */
  events(query: EventsQuery): Promise<ConversationEvent[]>;

  /** One message in its current state, or null. */
  getMessage(conversationId: string, seq: number): Promise<Message | null>;

  // --------------------------------------------------------------- receipts

  /**
   * Move a member's watermarks forward: deliveredSeq = max(deliveredSeq, deliveredSeq given,
   * readSeq given), readSeq = max(readSeq, readSeq given), with readOrd following readSeq (the
   * messageCount as of that seq). MUST NEVER move either backwards, whatever order concurrent calls
   * arrive in. The engine clamps the values to the conversation's lastSeq. Returns the member
   * after the change (unchanged if nothing moved), or null when not a member.
   */
  advanceWatermarks(input: {
    conversationId: string;
    userId: string;
    deliveredSeq?: number;
    readSeq?: number;
    now: number;
  }): Promise<MemberRecord | null>;

  /** Watermarks of all active members. */
  receipts(conversationId: string): Promise<MemberRecord[]>;

  // ------------------------------------------------------------------ inbox

  /**
   * The user's active memberships with their conversations, ordered by (lastActivityAt desc,
   * conversation id desc), after the cursor. Cost MUST NOT grow with conversation history.
   */
  inbox(query: InboxQuery): Promise<InboxRow[]>;

  /**
   * Sum of unread counts over the user's active, non-muted (mutedUntil null or <= now) memberships,
   * and how many of them have unread messages. MUST NOT scan message history.
   */
  unreadTotal(input: { userId: string; now: number }): Promise<{ total: number; conversations: number }>;

  /**
   * Memberships (active or former) whose member row or conversation changed at or after `since`
   * (engine-clock ms), for sync, ordered by conversation id ascending, only those with a
   * conversation id greater than `afterConversationId`, at most `limit` (all when absent). Paging
   * by this keyset MUST return every matching membership exactly once. Cost MUST follow the user's
   * memberships (an index on the member's user id and conversation id), never conversation history.
   */
  changedMemberships(input: { userId: string; since: number; afterConversationId?: string; limit?: number }): Promise<InboxRow[]>;

  // ----------------------------------------------------------- delete for me

  /** Hide a message for one user (idempotent). */
  hide(input: { userId: string; conversationId: string; seq: number; now: number }): Promise<void>;

  /** Seqs hidden by the user in a conversation, ascending. */
  hiddenSeqs(input: { userId: string; conversationId: string }): Promise<number[]>;

  // ----------------------------------------------------------------- search

  /**
   * Messages matching `query` that the user may see: in conversations where the user is or was a
   * member, with seq >= the first joinSeq of the user and <= leftSeq for former members, not
   * deleted, not hidden for the user. Newest first (createdAt desc, conversationId desc, seq desc).
   * The engine filters the result again against exact membership windows.
   */
  search(query: SearchQuery): Promise<Message[]>;

  // ------------------------------------------------- former-member views

  /**
   * The mutation events (`message.edited`, `message.deleted`, `message.reaction`,
   * `message.pinned`) whose `target` is one of `targets`, with seq greater than `after` when given,
   * in ascending seq order, as stored (edit texts included). Used to show a former member messages
   * as they were at its `leftSeq`. Cost MUST be O(targets + their mutations): an index on
   * (conversation, target, seq), never a scan of the conversation's history.
   */
  mutationsOf(query: { conversationId: string; targets: number[]; after?: number }): Promise<ConversationEvent[]>;

  /**
   * For each of `seqs` that is a message edited at least once and not deleted: the text it was
   * sent with (before its first edit). Messages never edited, deleted ones and unknown seqs are left
   * out. The store MUST keep this text from the first edit on, and MUST erase it together with the
   * message's other content when the message is deleted for everyone, purged or expired.
   */
  originalTexts(query: { conversationId: string; seqs: number[] }): Promise<Array<{ seq: number; text: string | null }>>;

  // ------------------------------------------------------------------ calls

  /** A call record, or null. */
  getCall(id: string): Promise<Call | null>;

  /** The conversation's call that is `ringing` or `active`, or null. */
  activeCall(conversationId: string): Promise<Call | null>;

  /** Calls the user took part in, newest first (startedAt desc, id desc), after the cursor. */
  listCalls(input: { userId: string; before?: { startedAt: number; id: string }; limit: number }): Promise<Call[]>;

  // -------------------------------------------------------------- retention

  /**
   * Erase the content (text, attachments, metadata, reactions; and the text of their edit events) of
   * messages deleted before `deletedBefore`. Idempotent. Returns how many messages were erased.
   * With `conversationId` only that conversation's messages are considered, and with `seqs` only
   * those seqs of it (the erasure of one user's messages uses both; `seqs` without
   * `conversationId` is invalid). A former member's snapshot (`leftView`) whose last message is an
   * erased one MUST lose its text in the same call.
   */
  purgeDeleted(input: { deletedBefore: number; conversationId?: string; seqs?: number[] }): Promise<number>;

  /**
   * For conversations with a messageTtlSeconds, mark messages created before now - ttl as deleted
   * (deletedAt = now) and erase their content at once. Returns how many messages expired.
   */
  expireMessages(input: { now: number }): Promise<number>;
}

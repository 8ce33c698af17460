import { z } from 'zod';
import { PermissionOverride } from './permissions.js';
import { ModerationOpParams, type Restriction } from './moderation.js';
import { ReportOpParams, type Report, type ReportStatus } from './reports.js';
import { HARD_LIMITS } from './constants.js';
import {
  Attachment,
  CallMedia,
  MessageKind,
  Role,
  type Call,
  type Contact,
  type Conversation,
  type InboxEntry,
  type Member,
  type Message,
  type Presence,
  type Receipt,
  type User,
} from './entities.js';
import type { ConversationEvent } from './events.js';
import { ENGINE_OP_NAMES } from './lite.js';
import { Cursor, Id, Limit, Metadata, Seq, Timestamp, Url, safeString } from './primitives.js';
import { PushOpParams, type PushOpResults } from './push.js';

const conversationId = { conversationId: Id };
const target = { conversationId: Id, seq: Seq };
const shortText = safeString(HARD_LIMITS.shortTextLength);
const page = { cursor: Cursor.optional(), limit: Limit.optional() };

/**
 * Parameters of every operation a user can perform, as zod schemas. The engine validates its
 * inputs with these and the WebSocket transport parses request frames with them, so a call
 * through the API and a call over the wire accept exactly the same inputs.
 */
export const OpParams = {
  // --- profile and users
  /** The acting user's own profile. */
  me: z.object({}).strict(),
  /** Change the acting user's profile. */
  updateProfile: z
    .object({
      displayName: shortText.min(1).optional(),
      avatarUrl: Url.nullable().optional(),
      statusText: shortText.nullable().optional(),
      metadata: Metadata.optional(),
    })
    .strict(),
  /** Profiles by id (unknown ids are left out). */
  getUsers: z.object({ ids: z.array(Id).min(1).max(100) }).strict(),
  /** Users whose display name starts with or contains the query (case-insensitive). */
  searchUsers: z.object({ query: safeString(100).min(1), limit: Limit.optional() }).strict(),
  /** Presence of users the acting user may see (contacts and conversation peers, minus blockers). */
  presence: z.object({ userIds: z.array(Id).min(1).max(200) }).strict(),

  // --- contacts
  /** The acting user's contacts, blocked ones included. */
  listContacts: z.object({}).strict(),
  /** Add or rename a contact. */
  setContact: z.object({ userId: Id, alias: shortText.nullable().optional() }).strict(),
  /** Remove a contact (a block is removed with it). */
  removeContact: z.object({ userId: Id }).strict(),
  /** Block a user: no direct messages, no presence, in either direction. */
  block: z.object({ userId: Id }).strict(),
  /** Lift a block. */
  unblock: z.object({ userId: Id }).strict(),

  // --- conversations
  /** Open (or return the existing) direct conversation with another user. Idempotent. */
  openDirect: z.object({ userId: Id }).strict(),
  /** Create a group; the creator becomes its owner. */
  createGroup: z
    .object({
      title: shortText.min(1),
      avatarUrl: Url.nullable().optional(),
      memberIds: z.array(Id).max(HARD_LIMITS.membersPerRequest).optional(),
      metadata: Metadata.optional(),
    })
    .strict(),
  /** Create a public channel; the creator becomes its owner. */
  createChannel: z
    .object({ title: shortText.min(1), avatarUrl: Url.nullable().optional(), metadata: Metadata.optional() })
    .strict(),
  /** A conversation the acting user is or was a member of (channels: any channel). */
  getConversation: z.object(conversationId).strict(),
  /** Current members of a conversation, keyset-paginated. */
  listMembers: z.object({ ...conversationId, ...page }).strict(),
  /** Add users to a group (owner/admin). Former members rejoin. */
  addMembers: z.object({ ...conversationId, userIds: z.array(Id).min(1).max(HARD_LIMITS.membersPerRequest) }).strict(),
  /** Remove a member from a group (owner/admin; admins cannot remove owners or admins). */
  removeMember: z.object({ ...conversationId, userId: Id }).strict(),
  /** Change a member's role (owner only for owner/admin changes; see docs/concepts.md). */
  setRole: z.object({ ...conversationId, userId: Id, role: Role }).strict(),
  /** Leave a group or channel. The last owner hands ownership to the oldest admin or member. */
  leave: z.object(conversationId).strict(),
  /** Join a public channel (or rejoin one). */
  join: z.object(conversationId).strict(),
  /** Change title, avatar, metadata or message TTL (owner/admin; any member in direct conversations cannot). */
  updateConversation: z
    .object({
      ...conversationId,
      title: shortText.min(1).optional(),
      avatarUrl: Url.nullable().optional(),
      metadata: Metadata.optional(),
      messageTtlSeconds: z.number().int().positive().max(10 * 365 * 24 * 3600).nullable().optional(),
      /** Override the app's grants in this conversation (null: back to the defaults); needs `managePermissions`. */
      permissions: PermissionOverride.nullable().optional(),
    })
    .strict(),
  /** Mute notifications until a time (null unmutes). Muted conversations do not count in unreadTotal. */
  mute: z.object({ ...conversationId, until: Timestamp.nullable() }).strict(),
  /** Public channels, optionally filtered by title. */
  listChannels: z.object({ query: safeString(100).optional(), ...page }).strict(),

  // --- messages
  /** Send a message. `clientId` makes the send idempotent: a retry returns the original message. */
  send: z
    .object({
      ...conversationId,
      clientId: safeString(HARD_LIMITS.idLength).min(1),
      kind: MessageKind.exclude(['call', 'system']).optional(),
      text: safeString(HARD_LIMITS.textLength).optional(),
      attachments: z.array(Attachment).max(HARD_LIMITS.attachments).optional(),
      replyTo: Seq.optional(),
      mentions: z.array(Id).max(HARD_LIMITS.mentions).optional(),
      metadata: Metadata.optional(),
    })
    .strict(),
  /** Edit the text of one of the acting user's own messages. */
  edit: z.object({ ...target, text: safeString(HARD_LIMITS.textLength).min(1) }).strict(),
  /** Delete a message for everyone (sender, or an owner/admin) or only for the acting user. */
  delete: z.object({ ...target, scope: z.enum(['everyone', 'me']) }).strict(),
  /** Add a reaction, or remove it with `remove: true`. */
  react: z
    .object({ ...target, emoji: safeString(HARD_LIMITS.emojiLength).min(1), remove: z.boolean().optional() })
    .strict(),
  /** Pin or unpin a message (groups and channels: owner/admin; direct: either member). */
  pin: z.object({ ...target, pinned: z.boolean() }).strict(),
  /**
   * A page of a conversation's log in ascending seq order. With `before` (default: the newest page)
   * or `after`; never both. `all: true` also returns edits, deletes, reactions and pins (for catching up).
   */
  history: z
    .object({ ...conversationId, before: Seq.optional(), after: z.number().int().nonnegative().optional(), limit: Limit.optional(), all: z.boolean().optional() })
    .strict()
    .refine((p) => p.before === undefined || p.after === undefined, { message: 'give before or after, not both' }),
  /** Move the acting user's delivered watermark forward (never backwards). */
  markDelivered: z.object(target).strict(),
  /**
   * `markDelivered` for many conversations in one request (at most `HARD_LIMITS.receiptsPerRequest`).
   * A conversation listed twice counts with its highest seq. A conversation the user cannot see is
   * returned in `skipped` exactly like one that does not exist, and never fails the others.
   */
  markDeliveredMany: z.object({ receipts: z.array(z.object(target).strict()).min(1).max(HARD_LIMITS.receiptsPerRequest) }).strict(),
  /** Move the acting user's read watermark forward (and delivered with it). */
  markRead: z.object(target).strict(),
  /** Every current member's watermarks, to show who has received and read what. */
  receipts: z.object(conversationId).strict(),
  /** The acting user's conversations by last activity, with previews and unread counts. */
  inbox: z.object(page).strict(),
  /** Unread messages across all non-muted conversations. */
  unreadTotal: z.object({}).strict(),
  /**
   * What changed since a cursor returned by an earlier sync (or everything without one), one page at
   * a time: while the reply's `nextPage` is not null, call again with the same `since` and
   * `page: nextPage`.
   */
  sync: z.object({ since: Cursor.optional(), page: Cursor.optional() }).strict(),
  /** Full-text search in messages the acting user may see. */
  search: z
    .object({ query: safeString(200).min(1), conversationId: Id.optional(), ...page })
    .strict(),
  /** Messages the acting user deleted for themselves in a conversation. */
  hidden: z.object(conversationId).strict(),

  // --- calls
  /** Start a call in a conversation; other members ring. */
  startCall: z.object({ ...conversationId, media: CallMedia }).strict(),
  /** Answer a ringing call. */
  answerCall: z.object({ callId: Id }).strict(),
  /** Decline a ringing call. */
  declineCall: z.object({ callId: Id }).strict(),
  /** Leave (or cancel) a call. The call ends when fewer than two participants remain. */
  endCall: z.object({ callId: Id }).strict(),
  /** The acting user's calls, newest first. */
  callHistory: z.object(page).strict(),

  // --- push devices
  ...PushOpParams,
  // --- moderation (see docs/moderation.md)
  ...ModerationOpParams,
  ...ReportOpParams,
} as const;

/** Name of an operation. */
export type OpName = keyof typeof OpParams;

/** All operation names. */
export const OP_NAMES: readonly OpName[] = ENGINE_OP_NAMES;

// ENGINE_OP_NAMES (zod-free, in lite.ts) must list exactly the keys of OpParams
type MissingOp = Exclude<OpName, (typeof ENGINE_OP_NAMES)[number]> | Exclude<(typeof ENGINE_OP_NAMES)[number], OpName>;
const opListIsExact: [MissingOp] extends [never] ? true : MissingOp = true;
void opListIsExact;

/** Input of an operation (what callers pass; optional fields may be left out). */
export type ParamsOf<K extends OpName> = z.input<(typeof OpParams)[K]>;

/** Parsed input of an operation. */
export type ParsedParamsOf<K extends OpName> = z.output<(typeof OpParams)[K]>;

/** A page with a cursor to the next one (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * What `sync` returns: one page of it. A sync is complete when a page has `nextPage: null`; every
 * changed membership appears on exactly one page of a sync.
 */
export interface SyncResult {
  /** Memberships that changed (new seqs, watermarks, joins and leaves) since the cursor, ordered by conversation id. */
  entries: InboxEntry[];
  /** Contacts that changed since the cursor (all contacts when `reset`); on the first page only, `[]` on later pages. */
  contacts: Contact[];
  /**
   * Pass as `since` next time. The same on every page of one sync (taken when its first page was
   * read, so nothing committed meanwhile is missed); store it only after the last page.
   */
  cursor: string;
  /** True when the cursor was missing or too old: the lists are complete, drop local state. The same on every page. */
  reset: boolean;
  /** Pass as `page` (with the same `since`) to read the next page; null on the last page. */
  nextPage: string | null;
}

/** What each operation returns. */
export interface OpResults extends PushOpResults {
  me: User;
  updateProfile: User;
  getUsers: User[];
  searchUsers: User[];
  presence: Presence[];
  listContacts: Contact[];
  setContact: Contact;
  removeContact: { removed: boolean };
  block: Contact;
  unblock: Contact;
  openDirect: Conversation;
  createGroup: Conversation;
  createChannel: Conversation;
  getConversation: { conversation: Conversation; member: Member | null };
  listMembers: Page<Member>;
  addMembers: Member[];
  removeMember: Member;
  setRole: Member;
  leave: Member;
  join: Member;
  updateConversation: Conversation;
  mute: Member;
  listChannels: Page<Conversation>;
  send: Message;
  edit: Message;
  delete: { conversationId: string; seq: number; scope: 'everyone' | 'me' };
  react: Message;
  pin: Message;
  history: { events: ConversationEvent[]; hasMore: boolean };
  markDelivered: Receipt;
  markDeliveredMany: { receipts: Receipt[]; skipped: string[] };
  markRead: Receipt;
  receipts: Receipt[];
  inbox: Page<InboxEntry>;
  unreadTotal: { total: number; conversations: number };
  sync: SyncResult;
  search: Page<Message>;
  hidden: number[];
  startCall: Call;
  answerCall: Call;
  declineCall: Call;
  endCall: Call;
  callHistory: Page<Call>;
  ban: Restriction;
  unban: { lifted: boolean };
  muteMember: Restriction;
  unmuteMember: { lifted: boolean };
  freeze: Conversation;
  setSlowMode: Conversation;
  listRestrictions: Page<Restriction>;
  report: { id: string; status: ReportStatus };
  listReports: Page<Report>;
  resolveReport: Report;
  reportCounts: Record<ReportStatus, number>;
}

/** Result of an operation. */
export type ResultOf<K extends OpName> = OpResults[K];

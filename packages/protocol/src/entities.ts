import { z } from 'zod';
import { PermissionOverride } from './permissions.js';
import { ModerationState } from './moderation.js';
import { HARD_LIMITS } from './constants.js';
import { Id, Metadata, Seq, Timestamp, Url, safeString } from './primitives.js';

/** A user as known to Parley. The host app owns identity; Parley stores the profile. */
export const User = z.object({
  id: Id,
  displayName: safeString(HARD_LIMITS.shortTextLength),
  avatarUrl: Url.nullable(),
  statusText: safeString(HARD_LIMITS.shortTextLength).nullable(),
  metadata: Metadata,
  /** When the user's last connection closed; null if never seen or unknown. */
  lastSeenAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type User = z.infer<typeof User>;

/** One entry of a user's address book. `blocked` stops direct messages and presence from `userId`. */
export const Contact = z.object({
  ownerId: Id,
  userId: Id,
  alias: safeString(HARD_LIMITS.shortTextLength).nullable(),
  blocked: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Contact = z.infer<typeof Contact>;

/** `direct`: exactly two users; `group`: invited members with roles; `channel`: public, anyone may join. */
export const ConversationKind = z.enum(['direct', 'group', 'channel']);
export type ConversationKind = z.infer<typeof ConversationKind>;

/** Member roles, from most to least powerful. Direct conversations only have `member`s. */
export const Role = z.enum(['owner', 'admin', 'member']);
export type Role = z.infer<typeof Role>;

/** Message kinds. `call` messages summarise a finished call; `system` messages are written by the host app. */
export const MessageKind = z.enum(['text', 'image', 'video', 'audio', 'file', 'call', 'system']);
export type MessageKind = z.infer<typeof MessageKind>;

/** Metadata of a file stored elsewhere (Parley never stores file bytes in the message log). */
export const Attachment = z.object({
  url: Url,
  mime: safeString(255).regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like image/png'),
  size: z.number().int().nonnegative(),
  name: safeString(HARD_LIMITS.shortTextLength).nullable().optional(),
  width: z.number().int().positive().nullable().optional(),
  height: z.number().int().positive().nullable().optional(),
  durationMs: z.number().int().nonnegative().nullable().optional(),
  thumbnailUrl: Url.nullable().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

/** A short summary of a message for inbox rows and reply quotes. */
export const MessagePreview = z.object({
  seq: Seq,
  senderId: Id,
  kind: MessageKind,
  /** The first characters of the text; null for deleted messages or messages without text. */
  text: z.string().nullable(),
  createdAt: Timestamp,
  deleted: z.boolean(),
});
export type MessagePreview = z.infer<typeof MessagePreview>;

/** Call media. */
export const CallMedia = z.enum(['audio', 'video']);
export type CallMedia = z.infer<typeof CallMedia>;

/** Lifecycle of a call. `ringing` and `active` are live; the others are final. */
export const CallStatus = z.enum(['ringing', 'active', 'ended', 'missed', 'declined', 'cancelled']);
export type CallStatus = z.infer<typeof CallStatus>;

/** State of one participant in a call. */
export const CallParticipantState = z.enum(['ringing', 'joined', 'declined', 'missed', 'left']);
export type CallParticipantState = z.infer<typeof CallParticipantState>;

/** A call participant. */
export const CallParticipant = z.object({
  userId: Id,
  state: CallParticipantState,
  joinedAt: Timestamp.nullable(),
  leftAt: Timestamp.nullable(),
});
export type CallParticipant = z.infer<typeof CallParticipant>;

/** A call record (signalling and media are not stored; see the transport's relay). */
export const Call = z.object({
  id: Id,
  conversationId: Id,
  initiatorId: Id,
  media: CallMedia,
  status: CallStatus,
  participants: z.array(CallParticipant),
  startedAt: Timestamp,
  answeredAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  /** From answer to end; null if never answered. */
  durationMs: z.number().int().nonnegative().nullable(),
});
export type Call = z.infer<typeof Call>;

/** The summary a `call` message carries. */
export const CallSummary = z.object({
  callId: Id,
  media: CallMedia,
  status: CallStatus,
  durationMs: z.number().int().nonnegative().nullable(),
});
export type CallSummary = z.infer<typeof CallSummary>;

/**
 * A message in its current state: edits and deletes are folded in, so history shows what a reader
 * should see. A message deleted for everyone keeps its place (`deletedAt` set, text and
 * attachments emptied) so replies and unread counts stay consistent.
 */
export const Message = z.object({
  conversationId: Id,
  seq: Seq,
  /** UUIDv7, unique across conversations. */
  id: Id,
  senderId: Id,
  kind: MessageKind,
  text: z.string().nullable(),
  attachments: z.array(Attachment),
  /** Seq of the message this one replies to, in the same conversation. */
  replyTo: Seq.nullable(),
  /** User ids mentioned in the text. */
  mentions: z.array(Id),
  /** Emoji to the ids of the users who reacted with it, in reaction order. */
  reactions: z.record(z.string(), z.array(Id)),
  /** The sender's idempotency key; null for messages written by the system. */
  clientId: z.string().nullable(),
  call: CallSummary.nullable(),
  metadata: Metadata,
  pinned: z.boolean(),
  createdAt: Timestamp,
  editedAt: Timestamp.nullable(),
  deletedAt: Timestamp.nullable(),
});
export type Message = z.infer<typeof Message>;

/** A conversation. `lastSeq` is the seq of its latest event. */
export const Conversation = z.object({
  id: Id,
  kind: ConversationKind,
  title: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  createdBy: Id,
  createdAt: Timestamp,
  lastSeq: z.number().int().nonnegative(),
  /** Number of message events so far (the ordinal used for unread counts). */
  messageCount: z.number().int().nonnegative(),
  /** When the last message was sent (falls back to createdAt). Orders the inbox. */
  lastActivityAt: Timestamp,
  lastMessage: MessagePreview.nullable(),
  /** Number of current members. */
  memberCount: z.number().int().nonnegative(),
  /** For direct conversations: the two user ids, sorted. Empty otherwise. */
  directPair: z.array(Id),
  metadata: Metadata,
  /** Messages older than this many seconds are expired by retention; null keeps them. */
  messageTtlSeconds: z.number().int().positive().nullable(),
  /** The conversation's own grants, when it overrides the app's defaults (absent otherwise). */
  permissions: PermissionOverride.optional(),
  /** Freeze and slow mode, once a moderator set either (absent otherwise). */
  moderation: ModerationState.optional(),
});
export type Conversation = z.infer<typeof Conversation>;

/**
 * A user's membership. The member sees events with seq in [joinSeq, leftSeq] (leftSeq null while in).
 * `readSeq` >= `deliveredSeq` never holds in reverse: read implies delivered.
 */
export const Member = z.object({
  conversationId: Id,
  userId: Id,
  role: Role,
  joinSeq: Seq,
  leftSeq: Seq.nullable(),
  deliveredSeq: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
  mutedUntil: Timestamp.nullable(),
  joinedAt: Timestamp,
});
export type Member = z.infer<typeof Member>;

/** A member's receipt watermarks. */
export const Receipt = z.object({
  conversationId: Id,
  userId: Id,
  deliveredSeq: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
});
export type Receipt = z.infer<typeof Receipt>;

/** One row of a user's inbox. */
export const InboxEntry = z.object({
  conversation: Conversation,
  member: Member,
  /** Messages from others after the member's readSeq (see docs/concepts.md for the definition). */
  unread: z.number().int().nonnegative(),
  /** For direct conversations, the other user's profile. */
  peer: User.nullable(),
});
export type InboxEntry = z.infer<typeof InboxEntry>;

/** Presence of a user as seen by others. */
export const Presence = z.object({
  userId: Id,
  online: z.boolean(),
  lastSeenAt: Timestamp.nullable(),
});
export type Presence = z.infer<typeof Presence>;

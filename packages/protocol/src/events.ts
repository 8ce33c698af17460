import { z } from 'zod';
import { PermissionOverride } from './permissions.js';
import { ModerationEvent } from './moderation.js';
import { HARD_LIMITS } from './constants.js';
import { Call, ConversationKind, Message, Role } from './entities.js';
import { Id, Metadata, Seq, Timestamp, safeString } from './primitives.js';

const base = {
  conversationId: Id,
  /** Position in the conversation's log: strictly increasing, gap-free. */
  seq: Seq,
  /** Who caused the event. */
  actorId: Id,
  /** When the event was committed (ms since epoch). */
  at: Timestamp,
};

/** First event of every conversation; its members join at seq 1. */
export const ConversationCreatedEvent = z.object({
  ...base,
  type: z.literal('conversation.created'),
  kind: ConversationKind,
  title: z.string().nullable(),
  members: z.array(z.object({ userId: Id, role: Role })),
});

/** Title, avatar, metadata or message TTL changed. Only changed fields are present. */
export const ConversationUpdatedEvent = z.object({
  ...base,
  type: z.literal('conversation.updated'),
  changes: z.object({
    title: z.string().nullable().optional(),
    avatarUrl: z.string().nullable().optional(),
    metadata: Metadata.optional(),
    messageTtlSeconds: z.number().int().positive().nullable().optional(),
    /** A new grant override (null: back to the app's defaults). */
    permissions: PermissionOverride.nullable().optional(),
  }),
});

/** A user joined (channels), was added (groups) or rejoined. */
export const MemberJoinedEvent = z.object({ ...base, type: z.literal('member.joined'), userId: Id, role: Role });

/** A user left or was removed (`removed: true`). */
export const MemberLeftEvent = z.object({ ...base, type: z.literal('member.left'), userId: Id, removed: z.boolean() });

/** A member's role changed. */
export const MemberRoleEvent = z.object({ ...base, type: z.literal('member.role'), userId: Id, role: Role });

/** A new message. In history reads it carries the message's current state. */
export const MessageEvent = z.object({ ...base, type: z.literal('message'), message: Message });

/** A message's text was edited. The previous text stays in the log in earlier events. */
export const MessageEditedEvent = z.object({
  ...base,
  type: z.literal('message.edited'),
  target: Seq,
  text: z.string(),
});

/** A message was deleted for everyone; its content is gone, its place in the log stays. */
export const MessageDeletedEvent = z.object({ ...base, type: z.literal('message.deleted'), target: Seq });

/** A reaction was added (`added: true`) or removed by `actorId`. */
export const ReactionEvent = z.object({
  ...base,
  type: z.literal('message.reaction'),
  target: Seq,
  emoji: safeString(HARD_LIMITS.emojiLength).min(1),
  added: z.boolean(),
});

/** A message was pinned or unpinned. */
export const PinEvent = z.object({ ...base, type: z.literal('message.pinned'), target: Seq, pinned: z.boolean() });

/** A call started or changed state (answer, decline, end). The final state is also summarised by a `call` message. */
export const CallEvent = z.object({ ...base, type: z.literal('call'), call: Call });

/** Every event a conversation log can hold. */
export const ConversationEvent = z.discriminatedUnion('type', [
  ConversationCreatedEvent,
  ConversationUpdatedEvent,
  MemberJoinedEvent,
  MemberLeftEvent,
  MemberRoleEvent,
  MessageEvent,
  MessageEditedEvent,
  MessageDeletedEvent,
  ReactionEvent,
  PinEvent,
  CallEvent,
  ModerationEvent,
]);
export type ConversationEvent = z.infer<typeof ConversationEvent>;

/** The `type` of a {@link ConversationEvent}. */
export type EventType = ConversationEvent['type'];

/** The event of one type. */
export type EventOf<T extends EventType> = Extract<ConversationEvent, { type: T }>;

export { MESSAGE_MUTATION_TYPES, isTimelineEvent, countsAsMessage } from './lite.js';

/** Ephemeral signals that are never stored in the log. */
export const TypingSignal = z.object({ conversationId: Id, userId: Id, typing: z.boolean(), at: Timestamp });
export type TypingSignal = z.infer<typeof TypingSignal>;

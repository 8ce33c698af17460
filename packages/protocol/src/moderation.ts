import { z } from 'zod';
import { HARD_LIMITS } from './constants.js';
import { Cursor, Id, Limit, Seq, Timestamp, safeString } from './primitives.js';

/** A restriction on one user in one conversation: `ban` (out, cannot come back) or `mute` (reads, cannot post). */
export const RestrictionKind = z.enum(['ban', 'mute']);
export type RestrictionKind = z.infer<typeof RestrictionKind>;

/** A ban or mute in force (or expired and not yet lifted: `until` in the past means no effect). */
export const Restriction = z.object({
  conversationId: Id,
  userId: Id,
  kind: RestrictionKind,
  /** When it ends by itself; null: until lifted. */
  until: Timestamp.nullable(),
  reason: z.string().nullable(),
  /** The moderator (or `SYSTEM_ACTOR`) who imposed it. */
  actorId: Id,
  at: Timestamp,
});
export type Restriction = z.infer<typeof Restriction>;

/** A conversation's moderation state (absent on a conversation that never had any). */
export const ModerationState = z.object({
  /** Read-only for everyone whose role lacks `freeze`. */
  frozen: z.boolean(),
  /** Minimum interval between one member's messages, for roles lacking `setSlowMode`; null: off. */
  slowModeMs: z.number().int().positive().nullable(),
});
export type ModerationState = z.infer<typeof ModerationState>;

/** What a moderation event did. */
export const ModerationAction = z.enum(['ban', 'unban', 'mute', 'unmute', 'freeze', 'unfreeze', 'slowMode']);
export type ModerationAction = z.infer<typeof ModerationAction>;

const reason = safeString(HARD_LIMITS.shortTextLength).min(1);

/**
 * A moderation action, as an event of the conversation's log (the audit trail: who in `actorId`,
 * what in `action`, why in `reason`). `userId` and `until` for bans and mutes; `slowModeMs` for slow mode.
 */
export const ModerationEvent = z.object({
  conversationId: Id,
  seq: Seq,
  actorId: Id,
  at: Timestamp,
  type: z.literal('moderation'),
  action: ModerationAction,
  userId: Id.optional(),
  until: Timestamp.nullable().optional(),
  slowModeMs: z.number().int().positive().nullable().optional(),
  reason: z.string().nullable(),
});

/** Longest slow-mode interval: one day. */
export const MAX_SLOW_MODE_MS = 24 * 3600 * 1000;
/** Longest timed ban or mute (longer: give none, it lasts until lifted). */
const MAX_DURATION_MS = 10 * 365 * 24 * 3600 * 1000;
const duration = z.number().int().positive().max(MAX_DURATION_MS).nullable().optional();

/** Parameters of the moderation operations (merged into `OpParams`). */
export const ModerationOpParams = {
  /** Ban a user from a group or channel (removes them if present); `durationMs` for a timed ban. Needs `ban`. */
  ban: z.object({ conversationId: Id, userId: Id, durationMs: duration, reason: reason.optional() }).strict(),
  /** Lift a ban. Needs `ban`. */
  unban: z.object({ conversationId: Id, userId: Id, reason: reason.optional() }).strict(),
  /** Mute a member (reads, cannot post or react); `durationMs` for a timeout. Needs `mute`. */
  muteMember: z.object({ conversationId: Id, userId: Id, durationMs: duration, reason: reason.optional() }).strict(),
  /** Lift a mute. Needs `mute`. */
  unmuteMember: z.object({ conversationId: Id, userId: Id, reason: reason.optional() }).strict(),
  /** Freeze (read-only for all but roles holding `freeze`) or unfreeze. Needs `freeze`. */
  freeze: z.object({ conversationId: Id, frozen: z.boolean(), reason: reason.optional() }).strict(),
  /** Set the minimum interval between one member's messages (null: off). Needs `setSlowMode`. */
  setSlowMode: z
    .object({ conversationId: Id, intervalMs: z.number().int().positive().max(MAX_SLOW_MODE_MS).nullable(), reason: reason.optional() })
    .strict(),
  /** Bans and mutes in a conversation, by user id. Needs `ban` or `mute`. */
  listRestrictions: z.object({ conversationId: Id, kind: RestrictionKind.optional(), cursor: Cursor.optional(), limit: Limit.optional() }).strict(),
} as const;

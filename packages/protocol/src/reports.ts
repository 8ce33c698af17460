import { z } from 'zod';
import { HARD_LIMITS } from './constants.js';
import { Cursor, Id, Limit, Seq, Timestamp, safeString } from './primitives.js';

/** Where a report is in the moderation queue. */
export const ReportStatus = z.enum(['open', 'resolved', 'dismissed']);
export type ReportStatus = z.infer<typeof ReportStatus>;

/** What a moderator did about a report. */
export const ReportAction = z.enum(['dismiss', 'delete', 'mute', 'ban']);
export type ReportAction = z.infer<typeof ReportAction>;

/**
 * A member's report of a message (`seq`) or of a user. Only holders of `readReports` see reports,
 * and never those about themselves: the reporter is not revealed to the reported user.
 */
export const Report = z.object({
  id: Id,
  conversationId: Id,
  reporterId: Id,
  /** The reported user (the sender, for a message). */
  targetUserId: Id,
  /** The reported message, or null for a report of a user. */
  seq: Seq.nullable(),
  reason: z.string(),
  status: ReportStatus,
  createdAt: Timestamp,
  /** Who resolved or dismissed it, when, and with which action. */
  resolvedBy: Id.nullable(),
  resolvedAt: Timestamp.nullable(),
  action: ReportAction.nullable(),
});
export type Report = z.infer<typeof Report>;

/** Parameters of the report operations (merged into `OpParams`). */
export const ReportOpParams = {
  /** Report a message (`seq`) or a user (`userId`) with a reason. Any active member. Exactly one of `seq` and `userId`. Reporting the same thing twice returns the first report. */
  report: z
    .object({ conversationId: Id, seq: Seq.optional(), userId: Id.optional(), reason: safeString(HARD_LIMITS.shortTextLength).min(1) })
    .strict(),
  /** The moderation queue of a conversation, oldest first. Needs `readReports`. */
  listReports: z.object({ conversationId: Id, status: ReportStatus.optional(), cursor: Cursor.optional(), limit: Limit.optional() }).strict(),
  /** Resolve an open report with an action (`dismiss`, or `delete` / `mute` / `ban`, which also need that permission). */
  resolveReport: z
    .object({ conversationId: Id, reportId: Id, action: ReportAction, durationMs: z.number().int().positive().max(10 * 365 * 24 * 3600 * 1000).optional() })
    .strict(),
  /** How many reports of each status a conversation has. Needs `readReports`. */
  reportCounts: z.object({ conversationId: Id }).strict(),
} as const;

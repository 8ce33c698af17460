import { DEFAULT_QUOTAS, type Quotas } from './quotas.js';

/** Limits the engine enforces on top of the protocol's hard caps. Every field has a default. */
export interface Limits {
  /** Characters of message text. Default 4096. */
  maxTextLength: number;
  /** Attachments per message. Default 10. */
  maxAttachments: number;
  /** Bytes per attachment (metadata `size`). Default 100 MiB. */
  maxAttachmentBytes: number;
  /** Members of a group, owner included. Default 1024. */
  maxGroupMembers: number;
  /** Participants a call rings. Default 32. */
  maxCallParticipants: number;
  /** How long a call rings before unanswered participants are marked missed. Default 45 s. */
  ringTimeoutMs: number;
  /** Minimum interval between two typing signals of one user in one conversation. Default 2 s. */
  typingThrottleMs: number;
  /** How long a typing signal lasts without renewal. Default 6 s. */
  typingTtlMs: number;
  /** Edits allowed up to this long after sending; null for no limit. Default null. */
  editWindowMs: number | null;
  /** Delete for everyone allowed (for the sender) up to this long after sending; null for no limit. Default null. */
  deleteWindowMs: number | null;
  /** Content of messages deleted for everyone is erased by retention after this many days. Default 30. */
  purgeDeletedAfterDays: number;
  /** Sync cursors older than this reset the client's state. Default 30 days. */
  syncMaxAgeMs: number;
  /** Sync re-reads changes this far before the cursor, covering clock skew and slow commits. Default 60 s. */
  syncSkewMs: number;
  /** Default page size of list operations. Default 50. */
  defaultPageSize: number;
  /**
   * Per-user quotas across all of a user's connections (see {@link Quotas}). Partial values given to
   * `createChat` are merged with {@link DEFAULT_QUOTAS}; a `null` field turns that quota off.
   */
  quotas: Quotas;
  /**
   * Byte budget of one list reply (history, search, inbox, sync, listMembers, listChannels,
   * callHistory): items stop being added once the reply's JSON passes it, and the cursor points
   * after the last item returned. A reply always holds at least one item, so it can exceed the
   * budget by one item (at most the frame limits allow). Keeps every reply small enough for a slow
   * link to drain before the transport closes it as a slow consumer. Default 256 KiB.
   */
  maxReplyBytes: number;
  /** Push devices kept per user (`registerPushDevice`); registering one more drops the one registered longest ago. Default 10. */
  maxPushDevicesPerUser: number;
}

/** The defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Limits = {
  maxTextLength: 4096,
  maxAttachments: 10,
  maxAttachmentBytes: 100 * 1024 * 1024,
  maxGroupMembers: 1024,
  maxCallParticipants: 32,
  ringTimeoutMs: 45_000,
  typingThrottleMs: 2_000,
  typingTtlMs: 6_000,
  editWindowMs: null,
  deleteWindowMs: null,
  purgeDeletedAfterDays: 30,
  syncMaxAgeMs: 30 * 24 * 3600 * 1000,
  syncSkewMs: 60_000,
  defaultPageSize: 50,
  quotas: DEFAULT_QUOTAS,
  maxReplyBytes: 256 * 1024,
  maxPushDevicesPerUser: 10,
};

import type { Call, Contact, ConversationKind, Message, Role, User } from '@parley/protocol';
import { ChatError } from '../errors.js';
import type { ChatStore, InboxRow } from '../store.js';

/** The `format` of a user export's header record. */
export const EXPORT_FORMAT = 'parley.user-export';
/** The version of the export format. Raised on any change a reader must know about. */
export const EXPORT_VERSION = 1;

/**
 * One record of a user export, in the order they are produced: `header` first, then `profile`,
 * `contact`s, per membership its `membership` record followed by that conversation's `message`,
 * `edit`, `reaction` and `hidden` records, then `call`s, and `end` last (an archive without `end`
 * was cut short). Written one per line as JSON by {@link exportLines}; documented in docs/operations.md.
 */
export type ExportRecord =
  | { type: 'header'; format: typeof EXPORT_FORMAT; version: number; userId: string; exportedAt: number }
  | { type: 'profile'; user: User }
  /** An address-book entry of the user (`blocked: true` for a block). */
  | { type: 'contact'; contact: Contact }
  | {
      type: 'membership';
      conversationId: string;
      kind: ConversationKind;
      title: string | null;
      role: Role;
      /** Membership windows, oldest first; the last has `leftSeq: null` while the user is a member. */
      windows: Array<{ joinSeq: number; leftSeq: number | null }>;
      readSeq: number;
      deliveredSeq: number;
      mutedUntil: number | null;
    }
  /** A message the user sent, as currently visible; `originalText` is the text before its first edit. */
  | { type: 'message'; message: Message; originalText?: string | null }
  /** One edit of one of the user's messages, as the log holds it (`''` once the message was deleted). */
  | { type: 'edit'; conversationId: string; target: number; seq: number; at: number; text: string }
  /** A reaction the user currently has on a message (theirs or anyone's). */
  | { type: 'reaction'; conversationId: string; target: number; emoji: string }
  /** Seqs the user deleted for themselves in one conversation. */
  | { type: 'hidden'; conversationId: string; seqs: number[] }
  | { type: 'call'; call: Call }
  | { type: 'end'; counts: Record<string, number> };

/** Options of {@link exportUser}. */
export interface ExportOptions {
  /** Rows read per store call (memberships, events, calls). Bounds memory. Default 200. */
  pageSize?: number;
  /** The time written into the header. */
  now: number;
}

/** The windows of a membership, oldest first. */
function windowsOf(member: InboxRow['member']): Array<{ joinSeq: number; leftSeq: number | null }> {
  return [...member.pastWindows, { joinSeq: member.joinSeq, leftSeq: member.leftSeq }];
}

/** Every membership of the user, active and former, paged by conversation id. */
async function* memberships(store: ChatStore, userId: string, pageSize: number): AsyncGenerator<InboxRow> {
  let after: string | undefined;
  for (;;) {
    const page = await store.changedMemberships({ userId, since: 0, limit: pageSize, ...(after === undefined ? {} : { afterConversationId: after }) });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.conversation.id;
  }
}

/** What the user wrote and reacted with inside one membership window, page by page. */
async function* windowRecords(
  store: ChatStore,
  userId: string,
  conversationId: string,
  window: { joinSeq: number; leftSeq: number | null },
  pageSize: number,
): AsyncGenerator<ExportRecord> {
  let after = window.joinSeq - 1;
  for (;;) {
    const page = await store.events({
      conversationId,
      after,
      limit: pageSize,
      timelineOnly: false,
      ...(window.leftSeq === null ? {} : { maxSeq: window.leftSeq }),
    });
    const edited = page.flatMap((e) => (e.type === 'message' && e.message.senderId === userId && e.message.editedAt !== null ? [e.seq] : []));
    const originals = new Map(
      edited.length ? (await store.originalTexts({ conversationId, seqs: edited })).map((o) => [o.seq, o.text] as const) : [],
    );
    for (const event of page) {
      if (event.type === 'message') {
        const m = event.message;
        if (m.senderId === userId) yield originals.has(m.seq) ? { type: 'message', message: m, originalText: originals.get(m.seq)! } : { type: 'message', message: m };
        for (const [emoji, who] of Object.entries(m.reactions)) {
          if (who.includes(userId)) yield { type: 'reaction', conversationId, target: m.seq, emoji };
        }
      } else if (event.type === 'message.edited' && event.actorId === userId) {
        yield { type: 'edit', conversationId, target: event.target, seq: event.seq, at: event.at, text: event.text };
      }
    }
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}

/**
 * Everything the store holds about one user, as a stream of {@link ExportRecord}s. Memory stays
 * bounded by `pageSize`: memberships, each conversation's log (within the user's windows) and call
 * history are read page by page with keyset cursors, and records are yielded as they are read.
 * Throws `NOT_FOUND` (before yielding anything) for an unknown user.
 */
export async function* exportUser(store: ChatStore, userId: string, options: ExportOptions): AsyncGenerator<ExportRecord> {
  const pageSize = options.pageSize ?? 200;
  const [user] = await store.getUsers([userId]);
  if (!user) throw new ChatError('NOT_FOUND', `no user ${userId}`);
  const counts: Record<string, number> = {};
  const count = (r: ExportRecord): ExportRecord => {
    counts[r.type] = (counts[r.type] ?? 0) + 1;
    return r;
  };
  yield { type: 'header', format: EXPORT_FORMAT, version: EXPORT_VERSION, userId, exportedAt: options.now };
  yield count({ type: 'profile', user });
  for (const contact of await store.listContacts(userId)) yield count({ type: 'contact', contact });
  for await (const { conversation, member } of memberships(store, userId, pageSize)) {
    const windows = windowsOf(member);
    yield count({
      type: 'membership',
      conversationId: conversation.id,
      kind: conversation.kind,
      title: conversation.title,
      role: member.role,
      windows,
      readSeq: member.readSeq,
      deliveredSeq: member.deliveredSeq,
      mutedUntil: member.mutedUntil,
    });
    for (const window of windows) {
      for await (const r of windowRecords(store, userId, conversation.id, window, pageSize)) yield count(r);
    }
    const hidden = await store.hiddenSeqs({ userId, conversationId: conversation.id });
    if (hidden.length) yield count({ type: 'hidden', conversationId: conversation.id, seqs: hidden });
  }
  let before: { startedAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.listCalls({ userId, limit: pageSize, ...(before ? { before } : {}) });
    for (const call of page) yield count({ type: 'call', call });
    if (page.length < pageSize) break;
    const last = page[page.length - 1]!;
    before = { startedAt: last.startedAt, id: last.id };
  }
  yield { type: 'end', counts };
}

/** The records as JSON lines (each string ends with `\n`), ready to write to a file or an HTTP response. */
export async function* exportLines(records: AsyncIterable<ExportRecord>): AsyncGenerator<string> {
  for await (const r of records) yield `${JSON.stringify(r)}\n`;
}

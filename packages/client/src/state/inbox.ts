import { previewOf, previewText } from '@parley/protocol/lite';
import type { ConversationEvent, InboxEntry, Member, Message, Receipt } from '@parley/protocol';

/** Snapshot of the inbox. */
export interface InboxSnapshot {
  /** Conversations by last activity, newest first. */
  items: readonly InboxEntry[];
  /** The same entries by conversation id. */
  byId: Readonly<Record<string, InboxEntry>>;
  /** Unread messages over conversations that are not muted (the server's `unreadTotal`). */
  unreadTotal: number;
}

/**
 * Apply a conversation event to an inbox row. Events at or below the row's `lastSeq` are
 * duplicates and return the row unchanged. Unread counts move the way the server counts them:
 * +1 per message from someone else after the read watermark; the user's own message reads
 * everything before it.
 */
export function applyEventToEntry(entry: InboxEntry, event: ConversationEvent, me: string): InboxEntry {
  const c = entry.conversation;
  if (event.seq <= c.lastSeq) return entry;
  const conversation = { ...c, lastSeq: event.seq };
  let member = entry.member;
  let unread = entry.unread;
  switch (event.type) {
    case 'message': {
      const m = event.message;
      conversation.messageCount = c.messageCount + 1;
      conversation.lastActivityAt = Math.max(c.lastActivityAt, m.createdAt);
      conversation.lastMessage = previewOf(m);
      if (m.senderId === me) {
        member = { ...member, readSeq: Math.max(member.readSeq, event.seq), deliveredSeq: Math.max(member.deliveredSeq, event.seq) };
        unread = 0;
      } else if (event.seq > member.readSeq) unread++;
      break;
    }
    case 'message.edited':
      if (c.lastMessage?.seq === event.target && !c.lastMessage.deleted) {
        conversation.lastMessage = { ...c.lastMessage, text: previewText(event.text) };
      }
      break;
    case 'message.deleted':
      if (c.lastMessage?.seq === event.target) conversation.lastMessage = { ...c.lastMessage, text: null, deleted: true };
      break;
    case 'conversation.updated': {
      const ch = event.changes;
      if (ch.title !== undefined) conversation.title = ch.title;
      if (ch.avatarUrl !== undefined) conversation.avatarUrl = ch.avatarUrl;
      if (ch.metadata !== undefined) conversation.metadata = ch.metadata;
      if (ch.messageTtlSeconds !== undefined) conversation.messageTtlSeconds = ch.messageTtlSeconds;
      if (ch.permissions === null) delete conversation.permissions;
      else if (ch.permissions !== undefined) conversation.permissions = ch.permissions;
      break;
    }
    case 'moderation': {
      // freeze and slow mode are conversation state the UI shows (a read-only composer, a countdown)
      const now = c.moderation ?? { frozen: false, slowModeMs: null };
      if (event.action === 'freeze' || event.action === 'unfreeze') conversation.moderation = { ...now, frozen: event.action === 'freeze' };
      if (event.action === 'slowMode') conversation.moderation = { ...now, slowModeMs: event.slowModeMs ?? null };
      break;
    }
    case 'member.joined':
      conversation.memberCount = c.memberCount + 1;
      if (event.userId === me) member = { ...member, leftSeq: null, joinSeq: event.seq, role: event.role };
      break;
    case 'member.left':
      conversation.memberCount = Math.max(0, c.memberCount - 1);
      if (event.userId === me) member = { ...member, leftSeq: event.seq };
      break;
    case 'member.role':
      if (event.userId === me) member = { ...member, role: event.role };
      break;
    default:
      break;
  }
  return { ...entry, conversation, member, unread };
}

/** Internal: the user's inbox rows. */
export class InboxState {
  readonly #entries = new Map<string, InboxEntry>();

  get(conversationId: string): InboxEntry | undefined {
    return this.#entries.get(conversationId);
  }

  ids(): string[] {
    return [...this.#entries.keys()];
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * Take rows from the server (sync or inbox). A row replaces the local one unless the local one
   * has seen later events (then only the watermarks move forward). Watermarks never move back: a
   * row computed before one of the user's own receipts keeps the local read watermark.
   *
   * Returns the ids whose local row did not become the server's: `ahead` (the local row has later
   * events; exact when they were applied in order) and `unsure` (the local read watermark is newer
   * than the row's and the unread count cannot be derived; ask again).
   */
  applyEntries(entries: readonly InboxEntry[]): { ahead: Set<string>; unsure: Set<string> } {
    const ahead = new Set<string>();
    const unsure = new Set<string>();
    for (const e of entries) {
      const id = e.conversation.id;
      const old = this.#entries.get(id);
      if (old && old.conversation.lastSeq > e.conversation.lastSeq) {
        const member = {
          ...old.member,
          readSeq: Math.max(old.member.readSeq, e.member.readSeq),
          deliveredSeq: Math.max(old.member.deliveredSeq, e.member.deliveredSeq),
          mutedUntil: e.member.mutedUntil,
        };
        this.#entries.set(id, { ...old, member });
        ahead.add(id);
      } else if (old && old.member.readSeq > e.member.readSeq) {
        const readSeq = old.member.readSeq;
        const member = { ...e.member, readSeq, deliveredSeq: Math.max(old.member.deliveredSeq, e.member.deliveredSeq, readSeq) };
        const caughtUp = readSeq >= e.conversation.lastSeq;
        this.#entries.set(id, { ...e, member, unread: caughtUp ? 0 : e.unread });
        if (!caughtUp) unsure.add(id);
      } else if (old && old.member.deliveredSeq > e.member.deliveredSeq) {
        this.#entries.set(id, { ...e, member: { ...e.member, deliveredSeq: old.member.deliveredSeq } });
      } else this.#entries.set(id, e);
    }
    return { ahead, unsure };
  }

  /** Apply an event. `unknown`: the conversation is not in the inbox (the caller re-syncs). */
  applyEvent(event: ConversationEvent, me: string): 'applied' | 'duplicate' | 'unknown' {
    const old = this.#entries.get(event.conversationId);
    if (!old) return 'unknown';
    const next = applyEventToEntry(old, event, me);
    if (next === old) return 'duplicate';
    this.#entries.set(event.conversationId, next);
    return 'applied';
  }

  /**
   * Apply one of the user's own receipts (another device read or received). `countUnread` counts
   * messages from others after a seq when every message in between is held locally; when it
   * cannot, the result is `resync` and the caller asks the server.
   */
  applyOwnReceipt(receipt: Receipt, countUnread: (afterSeq: number) => number | undefined): 'applied' | 'unchanged' | 'resync' {
    const old = this.#entries.get(receipt.conversationId);
    if (!old) return 'unchanged';
    const readSeq = Math.max(old.member.readSeq, receipt.readSeq);
    const deliveredSeq = Math.max(old.member.deliveredSeq, receipt.deliveredSeq, readSeq);
    if (readSeq === old.member.readSeq && deliveredSeq === old.member.deliveredSeq) return 'unchanged';
    // only the read watermark moves unread counts: a delivery receipt never needs a recount
    let unread: number | undefined = readSeq === old.member.readSeq ? old.unread : readSeq >= old.conversation.lastSeq ? 0 : countUnread(readSeq);
    const result = unread === undefined ? 'resync' : 'applied';
    unread ??= old.unread;
    this.#entries.set(receipt.conversationId, { ...old, unread, member: { ...old.member, readSeq, deliveredSeq } });
    return result;
  }

  /** The user's own membership changed on another device (mute). */
  applyMember(member: Member): boolean {
    const old = this.#entries.get(member.conversationId);
    if (!old) return false;
    this.#entries.set(member.conversationId, { ...old, member: { ...member, readSeq: Math.max(member.readSeq, old.member.readSeq), deliveredSeq: Math.max(member.deliveredSeq, old.member.deliveredSeq) } });
    return true;
  }

  snapshot(now: number): InboxSnapshot {
    const items = [...this.#entries.values()].sort(
      (a, b) => b.conversation.lastActivityAt - a.conversation.lastActivityAt || (a.conversation.id < b.conversation.id ? -1 : 1),
    );
    const byId: Record<string, InboxEntry> = {};
    let unreadTotal = 0;
    for (const e of items) {
      byId[e.conversation.id] = e;
      const muted = e.member.mutedUntil !== null && e.member.mutedUntil > now;
      if (!muted && e.member.leftSeq === null) unreadTotal += e.unread;
    }
    return { items, byId, unreadTotal };
  }
}

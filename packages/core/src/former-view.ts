/**
 * What a former member sees: every message and the conversation exactly as they were at its
 * `leftSeq`, on every read path. Stores keep messages in their current state; this module rolls
 * the page a reader asked for back to `leftSeq` with the page's own mutations (one index-backed
 * read for "mutations of these targets after leftSeq", usually empty), never the whole history.
 *
 * The one exception: a message deleted for everyone after the member left is shown deleted to
 * them too. Deletion erases the content for everyone, and that privacy rule wins.
 */
import type { Message } from '@parley/protocol';
import { applyMutation, previewOf, visibleMessage } from './apply.js';
import type { ChatStore, ConversationRecord, MemberRecord } from './store.js';

type Viewer = Pick<MemberRecord, 'leftSeq'> | null | undefined;

/** True when the reader is a former member (its current window is closed). */
export function isFormer(member: Viewer): member is Pick<MemberRecord, 'leftSeq'> & { leftSeq: number } {
  return member !== null && member !== undefined && member.leftSeq !== null;
}

/**
 * The messages of one conversation as `member` saw them at its `leftSeq` (unchanged for active
 * members). Messages deleted for everyone stay deleted. Order and length are kept.
 */
export async function messagesAsSeen(store: ChatStore, member: Viewer, conversationId: string, messages: Message[]): Promise<Message[]> {
  if (!isFormer(member) || messages.length === 0) return messages;
  const leftSeq = member.leftSeq;
  const live = messages.filter((m) => m.deletedAt === null && m.seq <= leftSeq).map((m) => m.seq);
  if (live.length === 0) return messages;
  const later = await store.mutationsOf({ conversationId, targets: live, after: leftSeq });
  const changed = [...new Set(later.map((e) => ('target' in e ? e.target : 0)))].filter((s) => s > 0);
  if (changed.length === 0) return messages;
  const [all, originals] = await Promise.all([
    store.mutationsOf({ conversationId, targets: changed }),
    store.originalTexts({ conversationId, seqs: changed }),
  ]);
  // a delete committed after the first read wins as well
  const deletedAt = new Map(all.flatMap((e) => (e.type === 'message.deleted' ? [[e.target, e.at] as const] : [])));
  const original = new Map(originals.map((o) => [o.seq, o.text]));
  const changedSet = new Set(changed);
  return messages.map((m) => {
    if (!changedSet.has(m.seq)) return m;
    const gone = deletedAt.get(m.seq);
    if (gone !== undefined) return visibleMessage({ ...m, deletedAt: gone });
    const mine = all.filter((e) => 'target' in e && e.target === m.seq);
    const edited = mine.some((e) => e.type === 'message.edited');
    // the text as sent: kept by the store from the first edit on; unknown (older data) shows none
    const sentText = edited ? (original.has(m.seq) ? original.get(m.seq)! : null) : m.text;
    let state: Message = { ...m, text: sentText, editedAt: null, reactions: {}, pinned: false };
    for (const e of mine) if (e.seq <= leftSeq) state = applyMutation(state, e);
    return state;
  });
}

/**
 * The conversation as `member` saw it at its `leftSeq` (unchanged for active members and
 * non-members). Uses the snapshot the store took at the leave; without one (a leave older than
 * the snapshot) only `lastSeq` and `lastMessage` are held back, as `publicConversation` does.
 * A last message deleted for everyone afterwards shows as deleted.
 */
export async function conversationAsSeen(store: ChatStore, record: ConversationRecord, member: MemberRecord | null | undefined): Promise<ConversationRecord> {
  if (!isFormer(member)) return record;
  const view = member.leftView;
  if (!view || view.seq !== member.leftSeq) return record;
  const seen: ConversationRecord = {
    ...record,
    title: view.title,
    avatarUrl: view.avatarUrl,
    metadata: view.metadata,
    messageTtlSeconds: view.messageTtlSeconds,
    memberCount: view.memberCount,
    messageCount: view.messageCount,
    lastActivityAt: view.lastActivityAt,
    lastMessage: view.lastMessage,
    lastSeq: Math.min(record.lastSeq, member.leftSeq),
  };
  if (seen.lastMessage && !seen.lastMessage.deleted) {
    const now = await store.getMessage(record.id, seen.lastMessage.seq);
    if (now && now.deletedAt !== null) seen.lastMessage = previewOf(now);
  }
  return seen;
}

/** The snapshot a store keeps on a member row when it leaves: the conversation right after the leave. */
export function leftViewOf(conversation: ConversationRecord, leftSeq: number): NonNullable<MemberRecord['leftView']> {
  return {
    seq: leftSeq,
    title: conversation.title,
    avatarUrl: conversation.avatarUrl,
    metadata: structuredClone(conversation.metadata),
    messageTtlSeconds: conversation.messageTtlSeconds,
    memberCount: conversation.memberCount,
    messageCount: conversation.messageCount,
    lastActivityAt: conversation.lastActivityAt,
    lastMessage: conversation.lastMessage ? { ...conversation.lastMessage } : null,
  };
}

/**
 * Whether `text` still matches a search `query` in the plain sense every store agrees on: each
 * word of the query occurs in the text, case-insensitively. Used to drop a former member's hit
 * whose text as of `leftSeq` no longer matches (the store matched the text edited in later).
 */
export function textMatches(text: string | null, query: string): boolean {
  if (text === null) return false;
  const hay = text.toLowerCase();
  const words = query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
  return words.length > 0 && words.every((w) => hay.includes(w));
}

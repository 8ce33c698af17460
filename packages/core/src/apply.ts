import type { ConversationEvent, Member, Message, MessagePreview } from '@parley/protocol';
import type { MemberRecord } from './store.js';

/** How many characters of text an inbox preview keeps. */
export const PREVIEW_LENGTH = 140;

/** The inbox preview of a message in its current state. */
export function previewOf(message: Message): MessagePreview {
  const deleted = message.deletedAt !== null;
  return {
    seq: message.seq,
    senderId: message.senderId,
    kind: message.kind,
    text: deleted || message.text === null ? null : message.text.slice(0, PREVIEW_LENGTH),
    createdAt: message.createdAt,
    deleted,
  };
}

/**
 * The message as readers see it: a message deleted for everyone keeps its place but shows no
 * content. Stores call this on every read.
 */
export function visibleMessage(message: Message): Message {
  if (message.deletedAt === null) return message;
  return { ...message, text: null, attachments: [], reactions: {}, metadata: {}, mentions: [], pinned: false };
}

/**
 * Apply a message mutation event (edit, delete, reaction, pin) to the stored message it targets.
 * Returns the new stored state (content of deleted messages is kept until purge). Reference
 * semantics for every store.
 */
export function applyMutation(message: Message, event: ConversationEvent): Message {
  switch (event.type) {
    case 'message.edited':
      return { ...message, text: event.text, editedAt: event.at };
    case 'message.deleted':
      return message.deletedAt === null ? { ...message, deletedAt: event.at } : message;
    case 'message.pinned':
      return { ...message, pinned: event.pinned };
    case 'message.reaction': {
      const users = message.reactions[event.emoji] ?? [];
      const has = users.includes(event.actorId);
      if (event.added === has) return message;
      const reactions = { ...message.reactions };
      const next = event.added ? [...users, event.actorId] : users.filter((u) => u !== event.actorId);
      if (next.length === 0) delete reactions[event.emoji];
      else reactions[event.emoji] = next;
      return { ...message, reactions };
    }
    default:
      return message;
  }
}

/** The public part of a member record. */
export function publicMember(record: MemberRecord): Member {
  return {
    conversationId: record.conversationId,
    userId: record.userId,
    role: record.role,
    joinSeq: record.joinSeq,
    leftSeq: record.leftSeq,
    deliveredSeq: record.deliveredSeq,
    readSeq: record.readSeq,
    mutedUntil: record.mutedUntil,
    joinedAt: record.joinedAt,
  };
}

/** All membership windows of a member, oldest first; the current one has `leftSeq` null while active. */
export function windowsOf(member: Pick<MemberRecord, 'joinSeq' | 'leftSeq' | 'pastWindows'>): Array<{ joinSeq: number; leftSeq: number | null }> {
  return [...member.pastWindows, { joinSeq: member.joinSeq, leftSeq: member.leftSeq }];
}

/** True when the member may see the event with this seq. */
export function seesSeq(member: Pick<MemberRecord, 'joinSeq' | 'leftSeq' | 'pastWindows'>, seq: number): boolean {
  return windowsOf(member).some((w) => seq >= w.joinSeq && (w.leftSeq === null || seq <= w.leftSeq));
}

import type { ConversationEvent, Member, PermissionOverride } from '@parley/protocol';
import type { ConversationRecord, CreateConversationInput, MemberRecord } from './store.js';

export { PREVIEW_LENGTH, previewOf, visibleMessage, applyMutation } from '@parley/protocol/lite';

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

/** The record of a conversation as {@link ChatStore.createConversation} creates it (lastSeq 1, no messages yet). */
export function newConversationRecord(input: CreateConversationInput): ConversationRecord {
  return {
    id: input.id,
    kind: input.kind,
    title: input.title,
    avatarUrl: input.avatarUrl,
    createdBy: input.createdBy,
    createdAt: input.now,
    lastSeq: 1,
    messageCount: 0,
    lastActivityAt: input.now,
    lastMessage: null,
    memberCount: input.members.length,
    directPair: [...input.directPair],
    metadata: structuredClone(input.metadata),
    messageTtlSeconds: null,
    updatedAt: input.now,
  };
}

/** What a `conversation.updated` event sets; `permissions: null` removes the override (stores keep no field). */
export type ConversationChanges = Partial<Pick<ConversationRecord, 'title' | 'avatarUrl' | 'metadata' | 'messageTtlSeconds'>> & {
  permissions?: PermissionOverride | null;
};

/** The fields a `conversation.updated` event changes: only those present in `changes`. */
export function conversationChanges(changes: Extract<ConversationEvent, { type: 'conversation.updated' }>['changes']): ConversationChanges {
  const set: ConversationChanges = {};
  if (changes.title !== undefined) set.title = changes.title;
  if (changes.avatarUrl !== undefined) set.avatarUrl = changes.avatarUrl;
  if (changes.metadata !== undefined) set.metadata = structuredClone(changes.metadata);
  if (changes.messageTtlSeconds !== undefined) set.messageTtlSeconds = changes.messageTtlSeconds;
  if (changes.permissions !== undefined) {
    const given = changes.permissions;
    set.permissions = given === null || Object.keys(given).length === 0 ? null : structuredClone(given);
  }
  return set;
}

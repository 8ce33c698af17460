import type { Member } from '@parley/protocol';
import type { MemberRecord } from './store.js';

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

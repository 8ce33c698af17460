import { conversationChanges, moderationEffect, previewOf } from '@parley/core';
import type { ConversationRecord } from '@parley/core';
import type { ConversationEvent, Message } from '@parley/protocol';
import { stripUndefined } from './documents.js';

/** The conversation after one event, and the `$set` that takes the stored document there. */
export interface ConversationStep {
  conversation: ConversationRecord;
  set: Partial<ConversationRecord>;
}

/**
 * What an event at `lastSeq + 1` does to its conversation (pure): lastSeq and updatedAt always;
 * messageCount, lastActivityAt and lastMessage for messages; memberCount for joins and leaves;
 * the changed fields for `conversation.updated`; a refreshed preview when a mutation changed the
 * last message (`target` is the target message after the mutation).
 */
export function nextConversation(current: ConversationRecord, event: ConversationEvent, target: Message | null): ConversationStep {
  const set: Partial<ConversationRecord> = { lastSeq: event.seq, updatedAt: event.at };
  switch (event.type) {
    case 'message':
      set.messageCount = current.messageCount + 1;
      set.lastActivityAt = event.at;
      set.lastMessage = previewOf(event.message);
      break;
    case 'message.edited':
    case 'message.deleted':
    case 'message.reaction':
    case 'message.pinned':
      if (target && current.lastMessage?.seq === event.target) set.lastMessage = previewOf(target);
      break;
    case 'member.joined':
      set.memberCount = current.memberCount + 1;
      break;
    case 'member.left':
      set.memberCount = Math.max(0, current.memberCount - 1);
      break;
    case 'conversation.updated': {
      const { permissions, ...changes } = conversationChanges(event.changes);
      if (changes.metadata !== undefined) changes.metadata = stripUndefined(changes.metadata);
      Object.assign(set, changes);
      // null is stored and read back as no override (documents.ts drops it)
      if (permissions !== undefined) Object.assign(set, { permissions });
      break;
    }
    case 'moderation': {
      const state = moderationEffect(event, current.moderation).state;
      if (state) set.moderation = state;
      break;
    }
    default:
      break;
  }
  return { conversation: { ...current, ...set }, set };
}

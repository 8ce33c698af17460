import type { ConversationEvent, Message } from '@parley/protocol';

/**
 * Fold a mutation event (edit, delete, reaction, pin) into the message it targets. Returns the
 * same object when nothing changes, so applying an event twice is harmless. Same semantics as
 * `applyMutation` + `visibleMessage` in @parley/core, which the client cannot import (zod, server code).
 */
export function applyMutation(message: Message, event: ConversationEvent): Message {
  switch (event.type) {
    case 'message.edited':
      return message.text === event.text && message.editedAt === event.at ? message : { ...message, text: event.text, editedAt: event.at };
    case 'message.deleted':
      return message.deletedAt !== null
        ? message
        : { ...message, deletedAt: event.at, text: null, attachments: [], reactions: {}, mentions: [], metadata: {}, pinned: false };
    case 'message.pinned':
      return message.pinned === event.pinned ? message : { ...message, pinned: event.pinned };
    case 'message.reaction': {
      const users = message.reactions[event.emoji] ?? [];
      if (users.includes(event.actorId) === event.added) return message;
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

import { applyMutation as fold, visibleMessage } from '@parley/protocol/lite';
import type { ConversationEvent, Message } from '@parley/protocol';

/**
 * Fold a mutation event (edit, delete, reaction, pin) into the message it targets, as a reader
 * sees it (a deleted message loses its content). Returns the same object when nothing changes, so
 * applying an event twice is harmless.
 */
export function applyMutation(message: Message, event: ConversationEvent): Message {
  const next = fold(message, event);
  return next === message ? message : visibleMessage(next);
}

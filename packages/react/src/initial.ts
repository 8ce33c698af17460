import type { ConnectionSnapshot, InboxSnapshot, MessagesSnapshot, OutboxItem, PresenceSnapshot, ParleyClient } from '@parley/client';

/**
 * The state every hook starts from: what the server renders, what hydration compares against,
 * and what a hook returns while its provider has no client. Constants, so renders on the server
 * and the first render in the browser agree.
 */
export type Contacts = ReturnType<ParleyClient['contacts']['getSnapshot']>;

export const INITIAL_CONNECTION: ConnectionSnapshot = Object.freeze({ state: 'idle', detail: Object.freeze({}), userId: null });
export const INITIAL_INBOX: InboxSnapshot = Object.freeze({ items: Object.freeze([]), byId: Object.freeze({}), unreadTotal: 0 });
export const NOBODY: readonly string[] = Object.freeze([]);
export const INITIAL_PRESENCE: PresenceSnapshot = Object.freeze({});
export const INITIAL_CONTACTS: Contacts = Object.freeze([]);
export const INITIAL_OUTBOX: readonly OutboxItem[] = Object.freeze([]);

const initialMessages = new Map<string, MessagesSnapshot>();

/** The initial messages snapshot of a conversation (the same object for the same id). */
export function initialMessagesOf(conversationId: string): MessagesSnapshot {
  let snapshot = initialMessages.get(conversationId);
  if (!snapshot) {
    snapshot = Object.freeze({ conversationId, messages: Object.freeze([]), loaded: false, hasOlder: false });
    if (initialMessages.size > 1000) initialMessages.clear();
    initialMessages.set(conversationId, snapshot);
  }
  return snapshot;
}

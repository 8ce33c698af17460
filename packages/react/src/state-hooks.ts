import type { ConnectionSnapshot, InboxSnapshot, OutboxItem, PresenceSnapshot } from '@parley/client';
import { INITIAL_CONNECTION, INITIAL_CONTACTS, INITIAL_INBOX, INITIAL_OUTBOX, INITIAL_PRESENCE, NOBODY, type Contacts } from './initial.js';
import { useParleyClient } from './provider.js';
import { useViewSelector, type Equality } from './use-view.js';

const whole = <T>(value: T): T => value;

/**
 * Connection state and user: `{ state, detail, userId }`. With a selector, only the slice:
 * `useConnection((c) => c.state === 'ready')` re-renders when readiness flips, not on every state.
 */
export function useConnection(): ConnectionSnapshot;
export function useConnection<S>(selector: (connection: ConnectionSnapshot) => S, isEqual?: Equality<S>): S;
export function useConnection(selector: (connection: ConnectionSnapshot) => unknown = whole, isEqual?: Equality<unknown>): unknown {
  const client = useParleyClient();
  return useViewSelector(client?.connection ?? null, INITIAL_CONNECTION, selector, isEqual);
}

/**
 * The inbox: `{ items, byId, unreadTotal }`, conversations by last activity. Rows that did not
 * change keep their identity, so a memoised row component re-renders only for its own row.
 */
export function useInbox(): InboxSnapshot;
export function useInbox<S>(selector: (inbox: InboxSnapshot) => S, isEqual?: Equality<S>): S;
export function useInbox(selector: (inbox: InboxSnapshot) => unknown = whole, isEqual?: Equality<unknown>): unknown {
  const client = useParleyClient();
  return useViewSelector(client?.inbox ?? null, INITIAL_INBOX, selector, isEqual);
}

const unreadTotal = (inbox: InboxSnapshot) => inbox.unreadTotal;

/** Unread messages over the conversations that are not muted (the server's count). Re-renders only when the number changes. */
export function useUnreadTotal(): number {
  return useInbox(unreadTotal);
}

/** Unread messages of one conversation (0 when it is not in the inbox). Re-renders only when the number changes. */
export function useUnread(conversationId: string): number {
  return useInbox((inbox) => inbox.byId[conversationId]?.unread ?? 0);
}

/** Users typing in a conversation (never the user themselves); entries expire by themselves. */
export function useTyping(conversationId: string): readonly string[] {
  const client = useParleyClient();
  return useViewSelector(client?.typing(conversationId) ?? null, NOBODY, whole);
}

/**
 * Presence of every user the client knows about, by id. Fill it with `client.api.presence({ userIds })`,
 * or use {@link usePresence} for one user.
 */
export function usePresenceMap(): PresenceSnapshot;
export function usePresenceMap<S>(selector: (presence: PresenceSnapshot) => S, isEqual?: Equality<S>): S;
export function usePresenceMap(selector: (presence: PresenceSnapshot) => unknown = whole, isEqual?: Equality<unknown>): unknown {
  const client = useParleyClient();
  return useViewSelector(client?.presence ?? null, INITIAL_PRESENCE, selector, isEqual);
}

/** The user's contacts (aliases, blocks). */
export function useContacts(): Contacts;
export function useContacts<S>(selector: (contacts: Contacts) => S, isEqual?: Equality<S>): S;
export function useContacts(selector: (contacts: Contacts) => unknown = whole, isEqual?: Equality<unknown>): unknown {
  const client = useParleyClient();
  return useViewSelector(client?.contacts ?? null, INITIAL_CONTACTS, selector, isEqual);
}

/** Messages not yet acknowledged by the server (sending or failed), in send order. */
export function useOutbox(): readonly OutboxItem[];
export function useOutbox<S>(selector: (outbox: readonly OutboxItem[]) => S, isEqual?: Equality<S>): S;
export function useOutbox(selector: (outbox: readonly OutboxItem[]) => unknown = whole, isEqual?: Equality<unknown>): unknown {
  const client = useParleyClient();
  return useViewSelector(client?.outbox ?? null, INITIAL_OUTBOX, selector, isEqual);
}

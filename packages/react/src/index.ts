/**
 * React bindings for `@parley/client`: {@link ParleyProvider} and hooks over the client's state
 * views through `useSyncExternalStore`. Every hook takes an optional selector (and equality) so a
 * component re-renders only when its slice changes, and every hook is SSR-safe: the server render
 * and hydration use constant initial states, and nothing here touches `window` or `document`.
 *
 * Threads: the client has no thread view yet. When it has one, its hook is
 * {@link useViewSelector} over that view, like every hook here.
 */
export { ParleyProvider, useParleyClient, type ParleyProviderProps } from './provider.js';
export { useView, useViewSelector, shallowEqual, type Equality } from './use-view.js';
export { useConnection, useInbox, useUnreadTotal, useUnread, useTyping, usePresenceMap, useContacts, useOutbox } from './state-hooks.js';
export { useMessages, useMessagesSelector, type MessagesState, type UseMessagesOptions } from './use-messages.js';
export { usePresence, type Presence } from './use-presence.js';
export { INITIAL_CONNECTION, INITIAL_INBOX, initialMessagesOf, type Contacts } from './initial.js';

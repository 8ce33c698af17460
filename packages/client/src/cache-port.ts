import type { Contact, InboxEntry, Message, Receipt } from '@parley/protocol';
import type { LocalState } from './local-state.js';
import type { ConversationMessages } from './state/messages.js';

/** The inbox part of what a device keeps offline: rows, contacts and the sync cursor, saved together. */
export interface CachedInbox {
  /**
   * The sync cursor the rows are at least as new as. Saved in the same write as the rows: a
   * cursor newer than its rows would make the next sync skip what changed in between.
   */
  cursor: string | undefined;
  entries: InboxEntry[];
  contacts: Contact[];
}

/** The window of one conversation a device keeps offline. */
export interface CachedConversation {
  conversationId: string;
  /** Every event with seq <= appliedSeq is folded into `messages`; the resume fetches only what follows. */
  appliedSeq: number;
  /** Older messages exist on the server than the oldest one kept. */
  hasOlder: boolean;
  /** Confirmed messages by ascending seq. */
  messages: Message[];
  /** Members' watermarks, for the delivered/read ticks of the user's own messages. */
  receipts: Receipt[];
  /** When the user last opened it (ms since epoch): eviction drops the least recently opened first. */
  openedAt: number;
}

/** What changed since the last save: the inbox (when it did) and the conversations that did. */
export interface CacheChange {
  inbox?: CachedInbox;
  conversations: CachedConversation[];
}

/**
 * An offline cache for a client (`createClient({ cache })`): what the device shows before it is
 * online, and where the resume starts from. `createOfflineCache` from `@parley/client/offline`
 * implements it over a pluggable storage (IndexedDB, memory); the client only needs this.
 *
 * - Everything is per user: `load`, `loadConversation` and `save` MUST only ever read or write the
 *   records of the `userId` given, and `clear(userId)` MUST remove all of them.
 * - `load` and `loadConversation` MUST return `null` rather than anything they cannot vouch for
 *   (another schema version, a torn or corrupt record): the client then fetches from the server.
 * - `save` MUST write `change.inbox` (cursor, rows and contacts) all or nothing. Conversations may
 *   land separately, and any of them may be lost: each one is self-contained, and the resume
 *   fetches what a window lacks.
 * - The client calls `save` one call at a time (the next after the previous settled), never
 *   after `clear` for the same user until that resolved.
 */
export interface ClientCache {
  /** The saved inbox of `userId`, or null. */
  load(userId: string): Promise<CachedInbox | null>;
  /** The saved window of one conversation of `userId`, or null. */
  loadConversation(userId: string, conversationId: string): Promise<CachedConversation | null>;
  /** Persist what changed. */
  save(userId: string, change: CacheChange): Promise<void>;
  /** Remove everything saved for `userId` (sign-out). */
  clear(userId: string): Promise<void>;
}

/** Internal: what a client hands the cache it was created with. */
export interface CacheHost {
  state: LocalState;
  /** The resume's sync cursor (read when saving, set when restoring). */
  cursor: { get(): string | undefined; set(cursor: string): void };
  /** Delay between a change and its save (changes in between are saved together). */
  delayMs: number;
  error(error: unknown): void;
}

/** Internal: what a client calls on the cache attached to it. */
export interface CacheLink {
  /** Load the saved inbox of `userId` into the local state (once per user). */
  restore(userId: string): Promise<void>;
  /** Fill a conversation that is not loaded from its saved window; whether it did. */
  restoreConversation(conv: ConversationMessages): Promise<boolean>;
  opened(conversationId: string): void;
  changed(view: string, conversationId?: string): void;
  flush(): Promise<void>;
  forget(): void;
  close(): Promise<void>;
  clear(userId: string | null): Promise<void>;
}

/**
 * The `cache` option of `createClient`: `createOfflineCache()` from `@parley/client/offline`, or
 * `clientCache(yours)` around a {@link ClientCache} of your own. The code that keeps it in step
 * with the client lives in that subpath, so the main bundle does not carry it.
 */
export interface AttachableCache {
  /** @internal Connects the cache to one client; called once, by the client. */
  attach(host: CacheHost): CacheLink;
}

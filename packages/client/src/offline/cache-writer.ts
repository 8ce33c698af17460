import type { CacheChange, CacheHost, CacheLink, CachedConversation, ClientCache } from '../cache-port.js';
import type { ConversationMessages } from '../state/messages.js';

/** What {@link CacheWriter} needs: the cache, and the client it serves. */
export interface CacheWriterOptions extends CacheHost {
  cache: ClientCache;
}

/**
 * Internal: keeps an offline cache ({@link ClientCache}) in step with the local state. Restores the
 * inbox, contacts and cursor of a user once (before the first resume, or at creation when the
 * `userId` option names the user), a conversation's window when it is opened, and saves what
 * changed a little later, one save at a time.
 */
export class CacheWriter implements CacheLink {
  readonly #o: CacheWriterOptions;
  #restoredFor: string | null = null;
  #inboxDirty = false;
  readonly #dirty = new Set<string>();
  readonly #openedAt = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #muted = false;
  #closed = false;

  constructor(options: CacheWriterOptions) {
    this.#o = options;
  }

  /** Load the saved inbox of `userId` into the local state (once per user). */
  async restore(userId: string): Promise<void> {
    if (this.#restoredFor === userId) return;
    this.#restoredFor = userId;
    const saved = await this.#o.cache.load(userId).catch((error: unknown) => {
      this.#o.error(error);
      return null;
    });
    const state = this.#o.state;
    if (!saved || this.#closed || (state.me !== null && state.me !== userId)) return;
    state.me = userId;
    this.#quietly(() => {
      state.inboxRows.applyEntries(saved.entries);
      state.setContacts(saved.contacts, state.contactMap.size === 0);
      state.changed('inbox');
    });
    if (this.#o.cursor.get() === undefined && saved.cursor !== undefined) this.#o.cursor.set(saved.cursor);
  }

  /** Fill a conversation that is not loaded from its saved window. Returns whether it did. */
  async restoreConversation(conv: ConversationMessages): Promise<boolean> {
    const me = this.#o.state.me;
    if (me === null || conv.loaded) return false;
    const saved = await this.#o.cache.loadConversation(me, conv.conversationId).catch((error: unknown) => {
      this.#o.error(error);
      return null;
    });
    if (!saved || conv.loaded || saved.conversationId !== conv.conversationId || this.#o.state.me !== me) return false;
    for (const m of saved.messages) conv.insert(m);
    for (const r of saved.receipts) conv.applyReceipt(r);
    conv.appliedSeq = saved.appliedSeq;
    conv.hasOlder = conv.hasOlder || saved.hasOlder;
    conv.loaded = true;
    this.#quietly(() => this.#o.state.changed('messages', conv.conversationId));
    return true;
  }

  /** The user opened a conversation (its window is the last to be evicted). */
  opened(conversationId: string): void {
    this.#openedAt.set(conversationId, Date.now());
    this.#dirty.add(conversationId);
    this.#schedule();
  }

  /** A view changed: save the part it shows. */
  changed(view: string, conversationId?: string): void {
    if (this.#muted || this.#closed) return;
    if (view === 'inbox' || view === 'contacts') this.#inboxDirty = true;
    else if (view === 'messages' && conversationId !== undefined && this.#o.state.convs.get(conversationId)?.loaded) this.#dirty.add(conversationId);
    else return;
    this.#schedule();
  }

  /** Resolves when every change so far is saved. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const change = this.#collect();
    const me = this.#o.state.me;
    if (change && me !== null) this.#writing = this.#writing.then(() => this.#o.cache.save(me, change)).catch((error: unknown) => this.#o.error(error));
    return this.#writing;
  }

  /** Another user signed in: nothing pending belongs to them. */
  forget(): void {
    this.#restoredFor = null;
    this.#inboxDirty = false;
    this.#dirty.clear();
    this.#openedAt.clear();
  }

  /** The client closed: save what is pending, then nothing more. */
  close(): Promise<void> {
    const done = this.flush();
    this.#closed = true;
    return done;
  }

  /** Sign-out: remove the user's saved state, after any save in flight. */
  async clear(userId: string | null): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.forget();
    await this.#writing;
    if (userId !== null) await this.#o.cache.clear(userId);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => void this.flush(), this.#o.delayMs);
  }

  #collect(): CacheChange | null {
    const state = this.#o.state;
    const conversations: CachedConversation[] = [];
    for (const id of this.#dirty) {
      const conv = state.convs.get(id);
      if (!conv?.loaded) continue;
      conversations.push({
        conversationId: id,
        appliedSeq: conv.appliedSeq,
        hasOlder: conv.hasOlder,
        messages: conv.list(),
        receipts: [...conv.receipts.values()],
        openedAt: this.#openedAt.get(id) ?? 0,
      });
    }
    this.#dirty.clear();
    const inbox = this.#inboxDirty
      ? { cursor: this.#o.cursor.get(), entries: [...state.inbox.getSnapshot().items], contacts: [...state.contactMap.values()] }
      : undefined;
    this.#inboxDirty = false;
    if (!inbox && conversations.length === 0) return null;
    return inbox ? { inbox, conversations } : { conversations };
  }

  #quietly(fn: () => void): void {
    this.#muted = true;
    try {
      fn();
    } finally {
      this.#muted = false;
    }
  }
}

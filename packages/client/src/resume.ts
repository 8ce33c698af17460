import type { AnyResultOf, PushFrame, Receipt, SyncResult, WireOpResults } from '@parley/protocol';
import type { EventEmitter } from 'eventemitter3';
import type { ClientEvents } from './client-options.js';
import type { CacheLink } from './cache-port.js';
import type { DeliveryReceipts } from './delivery-receipts.js';
import { ParleyError, isParleyError } from './errors.js';
import type { InternalRequest } from './internal-request.js';
import type { LocalState } from './local-state.js';
import type { OutboxQueue } from './outbox-queue.js';
import type { ConversationMessages } from './state/messages.js';

/** Largest page of a history read. */
export const HISTORY_MAX = 200;
/** Repair rounds in a row (about 20 s with the backoff) before rows the server does not return are given up on. */
const MAX_REPAIR_ROUNDS = 10;

/** What {@link Resumer} needs from the client. */
export interface ResumerOptions {
  state: LocalState;
  outbox: OutboxQueue;
  receipts: DeliveryReceipts;
  /** Bounded, retrying request of the client's own. */
  req: InternalRequest;
  /** True while the connection is authenticated. */
  authenticated(): boolean;
  /** Run a job in the client's ordered queue. */
  serial<T>(job: () => Promise<T>): Promise<T>;
  /** Page size of history reads. */
  pageSize: number;
  /** Report a failure that is not a dropped connection. */
  quiet(error: unknown): void;
  /** The offline cache, when there is one: restored before the first sync of a user, told when the user changes. */
  cache?: CacheLink;
  emit: EventEmitter<ClientEvents>['emit'];
}

/**
 * Internal: resume and repair. After every (re)connect it syncs from the cursor and brings each
 * held conversation up to date; pushes that must stay in order with that (events, receipts,
 * membership, hidden) are applied here; a row that may not match the server's is marked behind
 * and repair rounds (sync, then gap fetches) follow with a backoff until it does.
 */
export class Resumer {
  readonly #o: ResumerOptions;
  #cursor: string | undefined;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  /** Sync rounds in a row that failed or left a conversation behind; spaces out the next one. */
  #syncRetries = 0;
  /**
   * Conversations whose inbox row may not match the server: an event arrived for a conversation
   * with no row, or after a gap in the row's seqs (its unread count is a guess). A sync round
   * clears one once the server's row replaced the local one; until then another round follows.
   */
  readonly #behind = new Set<string>();
  /** Loaded conversations whose gap fetch failed: the next sync round catches them up. */
  readonly #lagging = new Set<string>();

  constructor(options: ResumerOptions) {
    this.#o = options;
  }

  /** The resume procedure, run after every (re)connect and authentication. */
  async resume(auth: WireOpResults['auth']): Promise<void> {
    const state = this.#o.state;
    if (state.me !== null && state.me !== auth.userId) this.#forgetUser();
    state.me = auth.userId;
    await this.#o.cache?.restore(auth.userId);
    await this.#o.outbox.authenticated(auth.userId);
    await this.#catchUpAll(false);
  }

  /** Pushes that must be applied in order with resumes and gap fetches. */
  async applyOrdered(frame: PushFrame): Promise<void> {
    const state = this.#o.state;
    switch (frame.ev) {
      case 'event': {
        const event = frame.event;
        const conv = state.convs.get(event.conversationId);
        if (conv?.loaded && event.seq > conv.appliedSeq + 1) {
          try {
            await this.catchUp(conv);
          } catch (error) {
            // the held messages must stay contiguous: leave this event to the repair round's gap fetch
            this.#lagging.add(conv.conversationId);
            this.markBehind(event.conversationId);
            throw error;
          }
        }
        state.applyEvent(event);
        return;
      }
      case 'receipt':
        state.applyReceipt(frame.receipt);
        this.#o.emit('receipt', frame.receipt);
        return;
      case 'member':
        if (state.inboxRows.applyMember(frame.member)) state.changed('inbox');
        this.#o.emit('member', frame.member);
        return;
      case 'hidden': {
        const conv = state.convs.get(frame.conversationId);
        if (conv?.remove(frame.seq)) state.changed('messages', frame.conversationId);
        this.#o.emit('hidden', frame);
        return;
      }
      case 'resume':
        this.#o.emit('resume', frame);
        if (this.#o.authenticated()) await this.#catchUpAll(true);
        return;
      default:
        return;
    }
  }

  /** The sync cursor: the server's answer to "what changed since" starts from it. */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  set cursor(cursor: string | undefined) {
    this.#cursor = cursor;
  }

  markBehind(conversationId: string): void {
    this.#behind.add(conversationId);
    this.scheduleSync();
  }

  /**
   * Run a repair round soon: a sync (then the gap fetch of lagging conversations). Rounds that fail
   * or leave a row behind are retried with a growing delay (50 ms to 5 s) while connected; a
   * reconnect runs the resume procedure instead.
   */
  scheduleSync(): void {
    if (this.#syncTimer !== undefined) return;
    const delay = Math.min(5000, 50 * 2 ** Math.min(this.#syncRetries, 7));
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (!this.#o.authenticated()) return;
      void this.#o.serial(() => this.#repair()).catch((error: unknown) => {
        this.#syncRetries++;
        this.scheduleSync();
        this.#o.quiet(error);
      });
    }, delay);
  }

  /** Bring one held conversation up to date: newest page if needed, the gap after the last seq held, receipts, hidden. */
  async refresh(conv: ConversationMessages, refreshHidden: boolean): Promise<void> {
    const { state, req } = this.#o;
    const id = conv.conversationId;
    const entry = state.inboxRows.get(id);
    if (conv.loaded && entry && entry.conversation.lastSeq - conv.appliedSeq > conv.limit) conv.clear();
    const [receipts, hidden] = await Promise.all([
      req<Receipt[]>('receipts', { conversationId: id }).catch((error: unknown) => (isParleyError(error, 'FORBIDDEN') ? [] : Promise.reject(error))),
      refreshHidden && conv.loaded ? req<number[]>('hidden', { conversationId: id }) : Promise.resolve([]),
      conv.loaded ? Promise.resolve() : this.#loadNewest(conv),
    ]);
    for (const r of receipts) conv.applyReceipt(r);
    for (const seq of hidden) conv.remove(seq);
    await this.catchUp(conv);
    state.changed('messages', id);
    this.#o.receipts.deliverHeld(conv);
    // the messages are newer than the inbox row (or there is none yet): the row follows in a sync round
    const row = state.inboxRows.get(id);
    if (conv.loaded && (!row || row.conversation.lastSeq < conv.appliedSeq)) this.markBehind(id);
  }

  /** Fetch every event after the last seq applied (`all: true`), page by page, until the server has no more. */
  async catchUp(conv: ConversationMessages): Promise<void> {
    if (!conv.loaded) return;
    for (;;) {
      const res = await this.#o.req<AnyResultOf<'history'>>('history', {
        conversationId: conv.conversationId,
        after: conv.appliedSeq,
        all: true,
        limit: HISTORY_MAX,
      });
      for (const e of res.events) this.#o.state.applyEvent(e);
      const last = res.events.at(-1)?.seq;
      if (last !== undefined && last > conv.appliedSeq) conv.appliedSeq = last;
      if (!res.hasMore || last === undefined) return;
    }
  }

  /** The client closed: no more repair rounds. */
  close(): void {
    clearTimeout(this.#syncTimer);
  }

  async #repair(): Promise<void> {
    await this.#sync();
    for (const id of [...this.#lagging]) {
      const conv = this.#o.state.convs.get(id);
      if (conv?.loaded) await this.catchUp(conv);
      this.#lagging.delete(id);
    }
    if (this.#behind.size === 0) this.#syncRetries = 0;
    else if (++this.#syncRetries > MAX_REPAIR_ROUNDS) {
      // the server keeps not returning these rows (left, deleted): stop asking; the next resume syncs
      this.#behind.clear();
      this.#syncRetries = 0;
    } else this.scheduleSync();
  }

  /**
   * Ask the server what changed since the cursor; its entries are the truth for unread counts.
   * A paged reply (`nextPage`) is followed with the same `since` until the last page; contacts
   * come with the first page, and the cursor is kept only after the last one, so an interrupted
   * round starts again from the old cursor.
   */
  async #sync(): Promise<void> {
    const { state, req, receipts } = this.#o;
    const since = this.#cursor;
    let page: string | undefined;
    let cursor: string;
    for (let first = true; ; first = false) {
      const res = await req<SyncResult>('sync', { ...(since === undefined ? {} : { since }), ...(page === undefined ? {} : { page }) });
      if (first && res.reset) state.inboxRows.clear();
      const { ahead, unsure } = state.inboxRows.applyEntries(res.entries);
      if (first) state.setContacts(res.contacts, res.reset);
      // a row the server returned and the local one became is exact; one still ahead locally was
      // computed before events we applied out of order: ask again until a row covers them
      for (const e of res.entries) {
        const id = e.conversation.id;
        if (unsure.has(id)) this.#behind.add(id);
        else if (!ahead.has(id)) this.#behind.delete(id);
        receipts.deliverEntry(id);
      }
      state.changed('inbox');
      cursor = res.cursor;
      const next = res.nextPage ?? null;
      if (next === null) break;
      if (next === page) throw new ParleyError('INTERNAL', 'sync: the server returned the same page again');
      page = next;
    }
    this.#cursor = cursor;
  }

  async #catchUpAll(refreshHidden: boolean): Promise<void> {
    await this.#sync();
    // one conversation at a time: a burst of requests per held conversation would trip the server's rate limit
    for (const conv of [...this.#o.state.convs.values()]) await this.refresh(conv, refreshHidden || conv.loaded);
    this.#lagging.clear();
    if (this.#behind.size > 0) this.scheduleSync();
  }

  async #loadNewest(conv: ConversationMessages): Promise<void> {
    const { state, req, pageSize } = this.#o;
    const res = await req<AnyResultOf<'history'>>('history', { conversationId: conv.conversationId, limit: pageSize });
    if (!state.convs.has(conv.conversationId)) return;
    for (const e of res.events) if (e.type === 'message') conv.insert(e.message);
    conv.appliedSeq = Math.max(conv.appliedSeq, res.events.at(-1)?.seq ?? 0);
    // a page larger than the window was trimmed to it: older messages exist even when the page was the last
    conv.hasOlder = conv.hasOlder || res.hasMore;
    conv.loaded = true;
  }

  /** Another user signed in on this client: drop everything that belonged to the previous one. */
  #forgetUser(): void {
    this.#cursor = undefined;
    this.#behind.clear();
    this.#lagging.clear();
    this.#o.receipts.forget();
    this.#o.cache?.forget();
    this.#o.state.forget();
  }
}

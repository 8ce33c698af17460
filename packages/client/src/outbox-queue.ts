import type { Message } from '@parley/protocol';
import { backoffDelay, type ResolvedBackoff } from './backoff.js';
import { ParleyError, isParleyError, retryClass, type ParleyErrorCode } from './errors.js';
import type { OutboxItem, OutboxStorage, SendParams } from './outbox.js';

/** Internal options of {@link OutboxQueue}. */
export interface OutboxQueueOptions {
  storage: OutboxStorage;
  /** The user this client is for when known before authenticating (the `userId` option). */
  owner: string | null;
  /** Uncertain failures (see `retryClass`) before an item becomes `failed`. */
  maxFailures: number;
  /** Backoff between retries after a failure (`baseMs`, `capMs` are read). */
  retry: ResolvedBackoff;
  random: () => number;
  /** Send one message; rejects with a ParleyError. */
  send(params: SendParams): Promise<Message>;
  /** The user the connection is authenticated as while sends may flow (`ready`); null otherwise. */
  sender(): string | null;
  /** The server has the message (the ack): the client shows it, then calls {@link OutboxQueue.settle}. */
  acked(message: Message): void;
  /** The list changed; `conversationIds` are the conversations whose pending rows changed. */
  changed(conversationIds: ReadonlySet<string>): void;
  error(error: unknown): void;
}

interface Waiter {
  resolve(m: Message): void;
  reject(e: Error): void;
}

/**
 * The outbox: the messages of one user that the server has not acknowledged, sent one at a time
 * in the order they were written, and saved per user.
 *
 * Rules it keeps (each has a test in `test/outbox.test.ts`):
 * - An item is sent only on a connection authenticated as the item's `userId`. An item written
 *   before the client knew its user is bound to the user of the first authentication and is
 *   never saved until then; another user signing in parks the previous user's items in storage.
 * - Only the head `sending` item is in flight, so message n+1 never reaches the server before
 *   message n unless n failed permanently.
 * - A transient failure never counts towards `failed`; the head is retried after a backoff
 *   (full jitter) or after the server's `retryAfterMs`. Neither a new send nor a loaded item
 *   cuts the wait short; a new `ready` (the resume just reached the server) cuts a backoff
 *   short, never a `retryAfterMs`.
 */
export class OutboxQueue {
  readonly #o: OutboxQueueOptions;
  #items: OutboxItem[] = [];
  #owner: string | null;
  /** The owner whose stored list has been merged into `#items` (saves wait for it). */
  #loadedFor: string | null = null;
  #saving: Promise<void> = Promise.resolve();
  readonly #waiters = new Map<string, Waiter[]>();
  #pumping = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The pending wait is the server's `retryAfterMs` (a reconnect does not cut it short). */
  #serverWait = false;
  /** Transient failures in a row (the backoff exponent). */
  #retries = 0;

  constructor(options: OutboxQueueOptions) {
    this.#o = options;
    this.#owner = options.owner;
    if (options.owner !== null) this.#load(options.owner);
  }

  /** The current list (the owner's items, plus unbound ones before the first authentication). */
  get items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** Queue a message for the current owner (or unbound); a second call with the same clientId only waits for it. */
  add(params: SendParams): Promise<Message> {
    const message = new Promise<Message>((resolve, reject) => {
      const list = this.#waiters.get(params.clientId) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(params.clientId, list);
    });
    message.catch(() => {});
    if (!this.#items.some((i) => i.clientId === params.clientId)) {
      const item: OutboxItem = {
        clientId: params.clientId,
        conversationId: params.conversationId,
        params,
        status: 'sending',
        attempts: 0,
        failures: 0,
        createdAt: Date.now(),
        userId: this.#owner,
        error: null,
      };
      this.#set([...this.#items, item], item.conversationId);
    }
    void this.#pump();
    return message;
  }

  /** Put a failed (or sending) item back at its place in the queue with a fresh failure count. */
  resend(clientId: string): SendParams {
    const item = this.#items.find((i) => i.clientId === clientId);
    if (!item) throw new ParleyError('NOT_FOUND', `no outbox message ${clientId}`);
    this.#replace({ ...item, status: 'sending', failures: 0, error: null });
    return item.params;
  }

  /** Drop an item (a failed one the user gave up on); its `message` rejects with `CLOSED`. */
  discard(clientId: string): void {
    const item = this.#items.find((i) => i.clientId === clientId);
    if (!item) return;
    this.#set(this.#items.filter((i) => i !== item), item.conversationId);
    this.#reject(clientId, new ParleyError('CLOSED', 'discarded'));
  }

  /**
   * The connection authenticated as `userId` (called by the resume, before `ready`). Unbound items
   * become this user's; another owner's items are parked in storage (their `message` rejects with
   * `SIGNED_OUT`); this user's saved items are loaded. Resolves once they are.
   */
  async authenticated(userId: string): Promise<void> {
    if (this.#owner !== userId) {
      if (this.#owner !== null) this.#park();
      this.#owner = userId;
      const unbound = this.#items.filter((i) => i.userId === null).map((i) => ({ ...i, userId }));
      this.#set(unbound);
      this.#load(userId);
    }
    await this.#saving;
  }

  /** The server has the message: it leaves the outbox and its `message` resolves. */
  settle(message: Message): void {
    const clientId = message.clientId!;
    if (this.#items.some((i) => i.clientId === clientId)) this.#set(this.#items.filter((i) => i.clientId !== clientId), message.conversationId);
    for (const w of this.#waiters.get(clientId) ?? []) w.resolve(message);
    this.#waiters.delete(clientId);
  }

  /** The connection is ready: send now, unless the server asked to wait. */
  wake(): void {
    if (this.#timer !== undefined && !this.#serverWait) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    void this.#pump();
  }

  /** The client stopped (`closed`, `auth_failed`): pending `message` promises reject; the items stay saved. */
  stopped(code: ParleyErrorCode, message: string): void {
    this.#clearTimer();
    for (const item of this.#items) if (item.status === 'sending') this.#reject(item.clientId, new ParleyError(code, message));
  }

  /**
   * The user signs out: every pending `message` rejects with `SIGNED_OUT`, unbound items are
   * dropped, and the owner's saved items are kept for their next sign-in (`discard: false`) or
   * removed from storage (`discard: true`). Resolves when storage is written.
   */
  async signOut(discard: boolean): Promise<void> {
    this.#clearTimer();
    const owner = this.#owner;
    if (owner !== null && !discard) this.#park();
    else {
      if (owner !== null) this.#chain(() => this.#o.storage.save(owner, []));
      this.#rejectAll('SIGNED_OUT', 'signed out; the message was discarded');
      this.#set([]);
    }
    this.#owner = null;
    this.#loadedFor = null;
    await this.#saving;
  }

  /** Stop timers (the client closed). */
  close(): void {
    this.#clearTimer();
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#serverWait = false;
  }

  /** Save the owner's items as they are now, drop them from memory and reject their waiters. */
  #park(): void {
    const owner = this.#owner!;
    const parked = this.#items.filter((i) => i.userId === owner);
    const merged = this.#loadedFor === owner;
    this.#chain(async () => {
      // the stored list was never merged into memory: keep what it holds next to what was written since
      const stored = merged ? [] : await this.#o.storage.load(owner);
      const fresh = new Set(parked.map((i) => i.clientId));
      await this.#o.storage.save(owner, [...stored.filter((i) => i.userId === owner && !fresh.has(i.clientId)), ...parked]);
    });
    this.#rejectAll('SIGNED_OUT', `${owner} is no longer signed in on this client; the message stays in their outbox`);
    this.#loadedFor = null;
    this.#set([]);
  }

  #load(owner: string): void {
    this.#chain(async () => {
      let stored: OutboxItem[] = [];
      try {
        stored = await this.#o.storage.load(owner);
      } catch (error) {
        this.#o.error(error);
      }
      if (this.#owner !== owner) return;
      const known = new Set(this.#items.map((i) => i.clientId));
      const loaded = stored.filter((i) => i.userId === owner && !known.has(i.clientId));
      this.#loadedFor = owner;
      if (loaded.length > 0) this.#set([...loaded, ...this.#items]);
      else this.#persist();
      void this.#pump();
    });
  }

  /** Run storage work in order, after everything queued before it. */
  #chain(job: () => Promise<void>): void {
    this.#saving = this.#saving.then(job).catch((error: unknown) => this.#o.error(error));
  }

  /** Save the owner's list as it is when the save runs (nothing before their stored list was merged). */
  #persist(): void {
    const owner = this.#owner;
    if (owner === null || this.#loadedFor !== owner) return;
    this.#chain(async () => {
      if (this.#owner === owner && this.#loadedFor === owner) await this.#o.storage.save(owner, this.#items.filter((i) => i.userId === owner));
    });
  }

  #set(items: OutboxItem[], conversationId?: string): void {
    const before = this.#items;
    this.#items = items;
    const touched = new Set<string>();
    if (conversationId !== undefined) touched.add(conversationId);
    else for (const i of [...before, ...items]) touched.add(i.conversationId);
    this.#o.changed(touched);
    this.#persist();
  }

  #replace(item: OutboxItem): void {
    this.#set(this.#items.map((i) => (i.clientId === item.clientId ? item : i)), item.conversationId);
  }

  #reject(clientId: string, error: Error): void {
    for (const w of this.#waiters.get(clientId) ?? []) w.reject(error);
    this.#waiters.delete(clientId);
  }

  #rejectAll(code: ParleyErrorCode, message: string): void {
    for (const clientId of [...this.#waiters.keys()]) this.#reject(clientId, new ParleyError(code, message));
  }

  /** Send the head item of the sender, one at a time, while ready and not waiting out a backoff. */
  async #pump(): Promise<void> {
    if (this.#pumping || this.#timer !== undefined) return;
    this.#pumping = true;
    try {
      for (;;) {
        const me = this.#o.sender();
        if (me === null) return;
        const item = this.#items.find((i) => i.status === 'sending' && i.userId === me);
        if (!item) return;
        const wait = await this.#attempt(item);
        if (wait !== null) {
          this.#schedule(wait);
          return;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** One attempt. Null: go on with the next item. Otherwise retry later: the server's `retryAfterMs`, or undefined for the backoff. */
  async #attempt(item: OutboxItem): Promise<number | undefined | null> {
    const current: OutboxItem = { ...item, attempts: item.attempts + 1 };
    this.#replace(current);
    try {
      const message = await this.#o.send(current.params);
      this.#retries = 0;
      this.#o.acked(message);
      return null;
    } catch (error) {
      const still = this.#items.find((i) => i.clientId === item.clientId);
      if (!still || still.status !== 'sending' || still.userId !== item.userId) return null;
      const kind = retryClass(error);
      const failures = still.failures + (kind === 'uncertain' ? 1 : 0);
      if (kind === 'permanent' || failures >= this.#o.maxFailures) {
        const e = isParleyError(error) ? error : new ParleyError('INTERNAL', String(error));
        this.#replace({ ...still, failures, status: 'failed', error: { code: e.code, message: e.message } });
        this.#reject(item.clientId, e);
        return null;
      }
      if (failures !== still.failures) this.#replace({ ...still, failures });
      return isParleyError(error) ? error.retryAfterMs : undefined;
    }
  }

  #schedule(retryAfterMs: number | undefined): void {
    const o = this.#o;
    const delay =
      retryAfterMs !== undefined ? retryAfterMs + Math.floor(o.random() * Math.min(1000, retryAfterMs / 10)) : backoffDelay(this.#retries++, o.retry, o.random);
    this.#serverWait = retryAfterMs !== undefined;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#serverWait = false;
      void this.#pump();
    }, delay);
  }
}

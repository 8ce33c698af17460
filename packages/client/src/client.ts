import type {
  AnyParamsOf,
  AnyResultOf,
  Contact,
  ConversationEvent,
  Member,
  Message,
  Presence,
  PushFrame,
  Receipt,
  SyncResult,
  WireOpResults,
} from '@parley/protocol';
// The named export: under NodeNext the default import of this CommonJS package is its module object.
import { EventEmitter } from 'eventemitter3';
import { resolveBackoff, type BackoffOptions } from './backoff.js';
import { Connection, type ConnectionState, type StateDetail } from './connection.js';
import { ParleyError, isParleyError } from './errors.js';
import { OP_NAMES, type Api, type ClientOpName, type RequestOptions } from './ops.js';
import { memoryOutbox, type OutboxItem, type OutboxStorage, type SendParams } from './outbox.js';
import { OutboxQueue } from './outbox-queue.js';
import { TypingState, type PresenceSnapshot } from './state/ephemeral.js';
import { InboxState, type InboxSnapshot } from './state/inbox.js';
import { ConversationMessages, MessagesSnapshotBuilder, type MessagesSnapshot } from './state/messages.js';
import { Cell, type View } from './state/view.js';
import type { WebSocketConstructor, WindowLike } from './transport.js';
import { randomId } from './uuid.js';

/** Options of {@link createClient}. Only `url` and a token source are required. */
export interface ClientOptions {
  /** WebSocket URL of the Parley server, e.g. `wss://chat.example.com/parley`. Never put the token in it. */
  url: string;
  /** A bearer token for the host app's `authenticate` hook. Give this or `getToken`. */
  token?: string;
  /**
   * Called for a token before the first connect when `token` is absent, and again whenever the
   * server rejects the current one (close 4001, 4003). Without it a rejected token stops the client
   * in the `auth_failed` state.
   */
  getToken?: () => string | Promise<string>;
  /** The WebSocket class. Default: `globalThis.WebSocket` (browsers, Node >= 22). In Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Where unacknowledged messages survive restarts, per user. Default: {@link memoryOutbox}. */
  storage?: OutboxStorage;
  /**
   * The user this client is for, when the app knows it before connecting (it usually does: it
   * got the token for them). With it, that user's saved outbox is loaded at once and messages
   * sent before the first connection are saved. Without it, messages sent before the first
   * authentication are held in memory only and belong to the user of that authentication.
   * Either way a message is only ever sent as the user who wrote it.
   */
  userId?: string;
  /** For online/offline awareness: the browser `window` (the default when it exists); `null` disables it. */
  window?: WindowLike | null;
  /** Reconnect backoff (exponential, full jitter). */
  reconnect?: BackoffOptions;
  /** Reply timeout of every request in ms. Default 15 000. */
  requestTimeoutMs?: number;
  /** Application-level ping interval in ms to notice dead sockets; 0 disables. Default 25 000. */
  pingIntervalMs?: number;
  /** Messages kept per conversation (the newest ones); older pages load on demand. Default 200. */
  messageWindow?: number;
  /** Page size of history reads. Default 50 (at most 200). */
  pageSize?: number;
  /**
   * Failures with an uncertain outcome (`INTERNAL`, an unknown error) before a message becomes
   * `failed`. Transient failures (`UNAVAILABLE`, `TIMEOUT`, `DISCONNECTED`, `RATE_LIMITED`, any
   * error with `retryAfterMs`) never count; permanent ones (`INVALID`, `FORBIDDEN`, `NOT_FOUND`,
   * `CONFLICT`, `TOO_LARGE`) fail the message at once. Default 5.
   */
  maxSendAttempts?: number;
  /** Backoff between send retries after a failure (full jitter). Default `{ baseMs: 250, capMs: 8000 }`. */
  sendRetry?: Pick<BackoffOptions, 'baseMs' | 'capMs'>;
  /**
   * Tell the server when messages from others reached this device (`markDelivered`), however they
   * arrived: as pushes, through a sync (the inbox row's last message), `open()` or a resume. One
   * request per conversation and newer seq. Default true.
   */
  autoDeliver?: boolean;
  /** Connect at once. Default true; with false call `client.connect()`. */
  autoConnect?: boolean;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

/** A state view change: which view, and for per-conversation views which conversation. */
export interface ViewChange {
  view: 'inbox' | 'messages' | 'typing' | 'presence' | 'contacts' | 'outbox' | 'connection';
  conversationId?: string;
}

/** Snapshot of the connection view. */
export interface ConnectionSnapshot {
  state: ConnectionState;
  detail: StateDetail;
  /** The authenticated user, once known. */
  userId: string | null;
}

type Push<E extends PushFrame['ev']> = Extract<PushFrame, { ev: E }>;

/** Events of a {@link ParleyClient} (eventemitter3; `client.on('event', fn)`). */
export interface ClientEvents {
  /** The connection state changed. */
  state: (state: ConnectionState, detail: StateDetail) => void;
  /** Connected, authenticated and caught up. */
  ready: (userId: string) => void;
  /** Every push frame as received. */
  push: (frame: PushFrame) => void;
  /** A conversation event the client had not seen before (pushed or fetched while catching up), once per (conversationId, seq). */
  event: (event: ConversationEvent) => void;
  /** A member's watermarks moved. */
  receipt: (receipt: Receipt) => void;
  /** Someone started or stopped typing. */
  typing: (frame: Push<'typing'>) => void;
  /** A user's presence changed. */
  presence: (presence: Presence) => void;
  /** A call-signalling payload from another participant. */
  signal: (frame: Push<'signal'>) => void;
  /** A contact changed on another device. */
  contact: (frame: Push<'contact'>) => void;
  /** The user's own membership settings changed on another device. */
  member: (member: Member) => void;
  /** A message was hidden for this user on another device. */
  hidden: (frame: Push<'hidden'>) => void;
  /** The server asked for a resume; the client runs it. */
  resume: (frame: Push<'resume'>) => void;
  /** A state view changed. */
  change: (change: ViewChange) => void;
  /** A non-fatal failure (a failed resume step, a storage error). The client keeps going. */
  error: (error: unknown) => void;
}

/** Input of {@link ParleyClient.send}: the `send` parameters; `clientId` is generated when absent. */
export type SendInput = Omit<SendParams, 'clientId'> & { clientId?: string };

/** What {@link ParleyClient.send} returns at once. */
export interface SendHandle {
  /** The idempotency key; the pending message's `key`. */
  clientId: string;
  /** Resolves with the server's message on the ack; rejects with a {@link ParleyError} when the message fails. */
  message: Promise<Message>;
}

const HISTORY_MAX = 200;
/** Repair rounds in a row (about 20 s with the backoff) before rows the server does not return are given up on. */
const MAX_REPAIR_ROUNDS = 10;

/**
 * The Parley client: one logical connection (reconnecting and resuming by itself), typed
 * requests, typed events and the local state views. Create it with {@link createClient}.
 *
 * Invariant: after any sequence of pushes and syncs, every inbox row (lastSeq, unread, last
 * message) converges to the server's within one sync round, and an open conversation converges to
 * the server's history. Pushes, syncs and gap fetches are applied in one ordered queue; a push the
 * inbox cannot take in order (no row yet, a gap) marks its row as behind, and repair rounds (sync,
 * then gap fetches) follow with a backoff until the server's row has replaced the local one. Each
 * internal request holding the queue is bounded by `requestTimeoutMs`, retries included.
 */
export class ParleyClient extends EventEmitter<ClientEvents> {
  /** One typed method per protocol operation: `client.api.search({ query })`. */
  readonly api: Api;
  /** Connection state, user id. */
  readonly connection: View<ConnectionSnapshot>;
  /** The inbox: conversations with last message and unread count. */
  readonly inbox: View<InboxSnapshot>;
  /** Presence of users, by id. */
  readonly presence: View<PresenceSnapshot>;
  /** The user's contacts. */
  readonly contacts: View<readonly Contact[]>;
  /** Messages not yet acknowledged by the server. */
  readonly outbox: View<readonly OutboxItem[]>;

  readonly #conn: Connection;
  readonly #window: number;
  readonly #pageSize: number;
  readonly #autoDeliver: boolean;
  #me: string | null = null;
  #detail: StateDetail = {};
  #cursor: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #inboxState = new InboxState();
  readonly #convs = new Map<string, ConversationMessages>();
  readonly #msgViews = new Map<string, { cell: Cell<MessagesSnapshot>; builder: MessagesSnapshotBuilder }>();
  readonly #typingState: TypingState;
  readonly #typingViews = new Map<string, Cell<readonly string[]>>();
  readonly #presenceMap = new Map<string, Presence>();
  readonly #contactMap = new Map<string, Contact>();
  readonly #outbox: OutboxQueue;
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
  readonly #deliverTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Highest seq a `markDelivered` was scheduled or sent for, per conversation (each seq once). */
  readonly #delivering = new Map<string, number>();
  readonly #internalTimeoutMs: number;

  constructor(options: ClientOptions) {
    super();
    if (!options.url) throw new ParleyError('INVALID', 'createClient: url is required');
    if (options.token === undefined && !options.getToken) throw new ParleyError('INVALID', 'createClient: give token or getToken');
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new ParleyError('INVALID', 'createClient: no global WebSocket here (Node < 22); pass { WebSocket } from the "ws" package');
    }
    const win = options.window === undefined ? (globalThis as { window?: WindowLike }).window : (options.window ?? undefined);
    if (options.userId !== undefined && (typeof options.userId !== 'string' || options.userId === '')) throw new ParleyError('INVALID', 'createClient: userId must be a non-empty string');
    this.#window = Math.max(1, options.messageWindow ?? 200);
    this.#pageSize = Math.min(HISTORY_MAX, Math.max(1, options.pageSize ?? 50));
    this.#autoDeliver = options.autoDeliver ?? true;
    this.#internalTimeoutMs = options.requestTimeoutMs ?? 15_000;

    this.connection = new Cell(() => ({ state: this.#conn.state, detail: this.#detail, userId: this.#me }));
    this.inbox = new Cell(() => this.#inboxState.snapshot(Date.now()));
    this.presence = new Cell(() => Object.freeze(Object.fromEntries(this.#presenceMap)));
    this.contacts = new Cell(() => Object.freeze([...this.#contactMap.values()]));
    this.#outbox = new OutboxQueue({
      storage: options.storage ?? memoryOutbox(),
      owner: options.userId ?? null,
      maxFailures: Math.max(1, options.maxSendAttempts ?? 5),
      retry: resolveBackoff({ baseMs: 250, capMs: 8000, ...options.sendRetry }),
      random: options.random ?? Math.random,
      send: (params) => this.#conn.request<Message>('send', params),
      sender: () => (this.#conn.state === 'ready' ? this.#conn.userId : null),
      acked: (message) => this.#acked(message),
      changed: (ids) => {
        this.#changed('outbox');
        for (const id of ids) this.#changed('messages', id);
      },
      error: (error) => this.#error(error),
    });
    this.outbox = new Cell(() => Object.freeze(this.#outbox.items.slice()));
    this.#typingState = new TypingState((id) => this.#changed('typing', id));

    const api: Record<string, unknown> = {};
    for (const op of OP_NAMES) api[op] = (params?: unknown, opts?: RequestOptions) => this.request(op, params as never, opts);
    this.api = api as Api;

    this.#conn = new Connection({
      url: options.url,
      WebSocket: WS,
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.getToken ? { getToken: options.getToken } : {}),
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      backoff: resolveBackoff(options.reconnect),
      ...(win ? { window: win } : {}),
      ...(options.random ? { random: options.random } : {}),
      onState: (state, detail) => {
        this.#detail = detail;
        this.#changed('connection');
        this.emit('state', state, detail);
        if (state === 'ready') {
          this.emit('ready', this.#me!);
          this.#outbox.wake();
        }
        if (state === 'auth_failed' || state === 'closed') this.#outbox.stopped(state === 'closed' ? 'CLOSED' : 'AUTH_FAILED', `client ${state}`);
      },
      onPush: (frame) => this.#onPush(frame),
      onOpen: (auth) => this.#serial(() => this.#resume(auth)),
      onError: (error) => this.#error(error),
    });

    if (options.autoConnect !== false) this.connect();
  }

  /** Current connection state. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /** The authenticated user, once known. */
  get userId(): string | null {
    return this.#me;
  }

  /** Start connecting (only needed with `autoConnect: false`). */
  connect(): void {
    this.#conn.start();
  }

  /** Drop the socket and reconnect now (then resume). */
  reconnect(): void {
    this.#conn.reconnect();
  }

  /** Resolves when the client is next `ready` (at once when it is). Rejects if it closes or auth fails first. */
  ready(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onState = (state: ConnectionState) => {
        if (state === 'ready') resolve();
        else if (state === 'closed' || state === 'auth_failed') reject(new ParleyError(state === 'closed' ? 'CLOSED' : 'AUTH_FAILED', `client ${state}`));
        else return;
        this.off('state', onState);
      };
      this.on('state', onState);
    });
  }

  /**
   * Send any operation and get its typed result. Requests wait for `ready` (bounded by the
   * timeout); failures reject with a {@link ParleyError}. Results that carry state (receipts,
   * presence, contacts) also update the views.
   */
  async request<K extends ClientOpName>(op: K, params: AnyParamsOf<K>, options: RequestOptions = {}): Promise<AnyResultOf<K>> {
    const result = await this.#conn.request<AnyResultOf<K>>(op, params, options);
    this.#absorb(op, result);
    return result;
  }

  /** The messages of a conversation. Call {@link open} to load them. */
  messages(conversationId: string): View<MessagesSnapshot> {
    let v = this.#msgViews.get(conversationId);
    if (!v) {
      const builder = new MessagesSnapshotBuilder();
      const cell = new Cell(() => builder.build(this.#convs.get(conversationId), conversationId, this.#outbox.items, this.#me));
      v = { cell, builder };
      this.#msgViews.set(conversationId, v);
    }
    return v.cell;
  }

  /** Users typing in a conversation (not the user themselves); entries expire by themselves. */
  typing(conversationId: string): View<readonly string[]> {
    let v = this.#typingViews.get(conversationId);
    if (!v) {
      v = new Cell(() => Object.freeze(this.#typingState.users(conversationId)));
      this.#typingViews.set(conversationId, v);
    }
    return v;
  }

  /**
   * Hold a conversation's messages locally: load the newest page, its members' receipts, and keep
   * it current (pushes, gap fetches, resumes). Resolves when loaded; when offline it resolves at
   * once and the next resume loads it.
   */
  open(conversationId: string): Promise<void> {
    if (!this.#convs.has(conversationId)) this.#convs.set(conversationId, new ConversationMessages(conversationId, this.#window));
    return this.#serial(async () => {
      const conv = this.#convs.get(conversationId);
      if (!conv || conv.loaded || !this.#conn.authenticated) return;
      await this.#refresh(conv, false);
    }).catch((error: unknown) => this.#quiet(error));
  }

  /** Load the page before the oldest message held. Resolves with whether even older ones exist. */
  loadOlder(conversationId: string): Promise<{ hasMore: boolean }> {
    return this.#serial(async () => {
      const conv = this.#convs.get(conversationId);
      if (!conv || !conv.loaded) throw new ParleyError('INVALID', `loadOlder: open(${JSON.stringify(conversationId)}) first`);
      const before = conv.oldestSeq;
      if (before === undefined && !conv.hasOlder) return { hasMore: false };
      const res = await this.#conn.request<AnyResultOf<'history'>>('history', {
        conversationId,
        ...(before !== undefined ? { before } : {}),
        limit: this.#pageSize,
      }, { immediate: this.#conn.authenticated });
      conv.insertOlder(res.events.flatMap((e) => (e.type === 'message' ? [e.message] : [])), res.hasMore);
      this.#changed('messages', conversationId);
      return { hasMore: res.hasMore };
    });
  }

  /** Stop holding a conversation's messages (frees memory; the view empties). */
  release(conversationId: string): void {
    if (this.#convs.delete(conversationId)) this.#changed('messages', conversationId);
  }

  /**
   * Send a message optimistically: it shows at once as `sending` in `messages(conversationId)`,
   * goes out when connected (one at a time, in the order sent), is retried across failures and
   * reconnects with the same clientId (the server deduplicates), and becomes `failed` only on a
   * permanent error or after `maxSendAttempts` uncertain ones. It is only ever sent as the user
   * who wrote it (see {@link ClientOptions.userId}).
   */
  send(input: SendInput): SendHandle {
    const clientId = input.clientId ?? randomId();
    return { clientId, message: this.#outbox.add({ ...input, clientId }) };
  }

  /** Retry a `failed` message with its original clientId (at its place in the queue). */
  resend(clientId: string): SendHandle {
    const params = this.#outbox.resend(clientId);
    return { clientId, message: this.#outbox.add(params) };
  }

  /** Drop a message from the outbox (a failed one the user gave up on). */
  discard(clientId: string): void {
    this.#outbox.discard(clientId);
  }

  /**
   * The user signs out: close the client for good and settle their outbox. Pending `message`
   * promises reject with `SIGNED_OUT`. Messages not yet sent stay saved for the user's next
   * sign-in on this storage (sent then, as them), or are removed with `{ discardOutbox: true }`
   * (a shared computer). Messages written before the client knew its user are dropped. Resolves
   * when the storage is written; create a new client for the next user.
   */
  async signOut(options: { discardOutbox?: boolean } = {}): Promise<void> {
    const settled = this.#outbox.signOut(options.discardOutbox === true);
    this.close();
    await settled;
  }

  /** Move the read watermark to `seq` (default: the conversation's last seq). Unread counts follow. */
  async markRead(conversationId: string, seq?: number): Promise<Receipt> {
    const target = seq ?? this.#inboxState.get(conversationId)?.conversation.lastSeq ?? this.#convs.get(conversationId)?.appliedSeq ?? 0;
    return this.request('markRead', { conversationId, seq: Math.max(1, target) });
  }

  /** Tell the members the user is (or stopped) typing. */
  async setTyping(conversationId: string, typing = true): Promise<void> {
    await this.request('typing', { conversationId, typing });
  }

  /**
   * Close the connection for good. Pending messages stay in the outbox storage of their user
   * (those written before the client knew its user are lost: they were only in memory).
   */
  close(): void {
    clearTimeout(this.#syncTimer);
    this.#outbox.close();
    for (const t of this.#deliverTimers.values()) clearTimeout(t);
    this.#deliverTimers.clear();
    this.#delivering.clear();
    this.#typingState.clear();
    this.#conn.close();
  }

  // ---------------------------------------------------------------- internals

  #serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  #error(error: unknown): void {
    this.emit('error', error);
  }

  /** Errors from a dropped connection are expected (the resume repairs); others are reported. */
  #quiet(error: unknown): void {
    if (isParleyError(error) && (error.code === 'DISCONNECTED' || error.code === 'CLOSED' || error.code === 'AUTH_FAILED')) return;
    this.#error(error);
  }

  #changed(view: ViewChange['view'], conversationId?: string): void {
    const cell =
      view === 'messages' ? this.#msgViews.get(conversationId!)?.cell
      : view === 'typing' ? this.#typingViews.get(conversationId!)
      : view === 'inbox' ? this.inbox
      : view === 'presence' ? this.presence
      : view === 'contacts' ? this.contacts
      : view === 'outbox' ? this.outbox
      : this.connection;
    (cell as Cell<unknown> | undefined)?.invalidate();
    this.emit('change', conversationId === undefined ? { view } : { view, conversationId });
  }

  /**
   * Internal requests (resume, gap fetches, syncs): sent while resuming; waits and retries when rate
   * limited or told to come back (`retryAfterMs`). They run while holding the ordered queue, so the whole call, retries included, is
   * bounded by the request timeout: a TIMEOUT fails the step, and the repair round retries it.
   */
  async #req<R>(op: ClientOpName, params: unknown): Promise<R> {
    const deadline = Date.now() + this.#internalTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new ParleyError('TIMEOUT', `${op}: no reply within ${this.#internalTimeoutMs} ms`);
      try {
        return await this.#conn.request<R>(op, params, { immediate: true, timeoutMs: left });
      } catch (error) {
        if (!isParleyError(error) || (error.code !== 'RATE_LIMITED' && error.retryAfterMs === undefined) || attempt >= 5) throw error;
        const wait = error.retryAfterMs ?? 250 * 2 ** attempt;
        if (wait >= deadline - Date.now()) throw error;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  #absorb(op: ClientOpName, result: unknown): void {
    if (op === 'presence') for (const p of result as Presence[]) this.#setPresence(p);
    else if (op === 'markRead' || op === 'markDelivered') this.#applyReceipt(result as Receipt);
    else if (op === 'receipts') for (const r of result as Receipt[]) this.#applyReceipt(r);
    else if (op === 'listContacts') this.#setContacts(result as Contact[], true);
  }

  #setPresence(p: Presence): void {
    this.#presenceMap.set(p.userId, p);
    this.#changed('presence');
  }

  #setContacts(contacts: readonly Contact[], reset: boolean): void {
    if (reset) this.#contactMap.clear();
    for (const c of contacts) this.#contactMap.set(c.userId, c);
    if (reset || contacts.length > 0) this.#changed('contacts');
  }

  #onPush(frame: PushFrame): void {
    this.emit('push', frame);
    switch (frame.ev) {
      case 'typing':
        if (frame.userId !== this.#me) this.#typingState.set(frame.conversationId, frame.userId, frame.typing, frame.expiresInMs);
        this.emit('typing', frame);
        return;
      case 'presence':
        this.#setPresence(frame.presence);
        this.emit('presence', frame.presence);
        return;
      case 'signal':
        this.emit('signal', frame);
        return;
      case 'contact':
        if (frame.removed) {
          if (this.#contactMap.delete(frame.contact.userId)) this.#changed('contacts');
        } else this.#setContacts([frame.contact], false);
        this.emit('contact', frame);
        return;
      default:
        void this.#serial(() => this.#onOrderedPush(frame)).catch((error: unknown) => this.#quiet(error));
    }
  }

  /** Pushes that must be applied in order with resumes and gap fetches. */
  async #onOrderedPush(frame: PushFrame): Promise<void> {
    switch (frame.ev) {
      case 'event': {
        const event = frame.event;
        const conv = this.#convs.get(event.conversationId);
        if (conv?.loaded && event.seq > conv.appliedSeq + 1) {
          try {
            await this.#catchUp(conv);
          } catch (error) {
            // the held messages must stay contiguous: leave this event to the repair round's gap fetch
            this.#lagging.add(conv.conversationId);
            this.#markBehind(event.conversationId);
            throw error;
          }
        }
        this.#applyEvent(event);
        return;
      }
      case 'receipt':
        this.#applyReceipt(frame.receipt);
        this.emit('receipt', frame.receipt);
        return;
      case 'member':
        if (this.#inboxState.applyMember(frame.member)) this.#changed('inbox');
        this.emit('member', frame.member);
        return;
      case 'hidden': {
        const conv = this.#convs.get(frame.conversationId);
        if (conv?.remove(frame.seq)) this.#changed('messages', frame.conversationId);
        this.emit('hidden', frame);
        return;
      }
      case 'resume':
        this.emit('resume', frame);
        if (this.#conn.authenticated) await this.#catchUpAll(true);
        return;
      default:
        return;
    }
  }

  /**
   * Apply one conversation event to the inbox and the held messages, deduplicated by (conversationId, seq).
   * An event the inbox row cannot take in order (no row yet, or a gap before it) marks the row as
   * behind; the sync round that follows brings it to the server's.
   */
  #applyEvent(event: ConversationEvent): void {
    const me = this.#me ?? '';
    const entry = this.#inboxState.get(event.conversationId);
    if (!entry || event.seq > entry.conversation.lastSeq + 1) this.#markBehind(event.conversationId);
    const inbox = this.#inboxState.applyEvent(event, me);
    if (inbox === 'applied') this.#changed('inbox');
    let fresh = inbox !== 'duplicate';
    const conv = this.#convs.get(event.conversationId);
    if (conv?.loaded) {
      if (event.seq > conv.appliedSeq) {
        conv.apply(event);
        conv.appliedSeq = event.seq;
        this.#changed('messages', event.conversationId);
        fresh = true;
      } else fresh = false;
    }
    if (event.type === 'message') {
      const m = event.message;
      if (m.senderId === me && m.clientId !== null) this.#acked(m);
      else {
        this.#typingState.stop(m.conversationId, m.senderId);
        if (fresh) this.#deliver(m.conversationId, m.seq);
      }
    }
    if (fresh) this.emit('event', event);
  }

  #applyReceipt(receipt: Receipt): void {
    const conv = this.#convs.get(receipt.conversationId);
    if (conv?.applyReceipt(receipt)) this.#changed('messages', receipt.conversationId);
    if (receipt.userId !== this.#me) return;
    const result = this.#inboxState.applyOwnReceipt(receipt, (after) => this.#countUnread(conv, after));
    if (result !== 'unchanged') this.#changed('inbox');
    if (result === 'resync') this.#scheduleSync();
  }

  #countUnread(conv: ConversationMessages | undefined, after: number): number | undefined {
    if (!conv?.loaded) return undefined;
    const entry = this.#inboxState.get(conv.conversationId);
    if (entry && conv.appliedSeq < entry.conversation.lastSeq) return undefined;
    if (conv.hasOlder && (conv.oldestSeq ?? Infinity) > after + 1) return undefined;
    let n = 0;
    for (const m of conv.list()) if (m.seq > after && m.senderId !== this.#me) n++;
    return n;
  }

  /**
   * Tell the server (once per seq, with `autoDeliver`) that this device holds the messages of a
   * conversation up to `seq`, however they arrived: push, sync, `open()` or a resume.
   */
  #deliver(conversationId: string, seq: number): void {
    if (!this.#autoDeliver) return;
    const entry = this.#inboxState.get(conversationId);
    if (entry && (entry.member.deliveredSeq >= seq || entry.member.leftSeq !== null)) return;
    if ((this.#delivering.get(conversationId) ?? 0) >= seq) return;
    this.#delivering.set(conversationId, seq);
    clearTimeout(this.#deliverTimers.get(conversationId));
    this.#deliverTimers.set(
      conversationId,
      setTimeout(() => {
        this.#deliverTimers.delete(conversationId);
        const target = this.#delivering.get(conversationId) ?? seq;
        const forget = () => {
          if (this.#delivering.get(conversationId) === target) this.#delivering.delete(conversationId);
        };
        if (!this.#conn.authenticated) return forget(); // the resume after the reconnect delivers again
        this.request('markDelivered', { conversationId, seq: target }).catch((error: unknown) => {
          forget();
          this.#quiet(error);
        });
      }, 50),
    );
  }

  /** Deliver up to the newest message from others that the inbox row reports. */
  #deliverEntry(conversationId: string): void {
    const entry = this.#inboxState.get(conversationId);
    const last = entry?.conversation.lastMessage;
    if (last && last.senderId !== this.#me) this.#deliver(conversationId, last.seq);
  }

  /** Deliver up to the newest message from others held for a conversation. */
  #deliverHeld(conv: ConversationMessages): void {
    const list = conv.list();
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m.senderId === this.#me) return; // the server moved our watermarks to our own message
      this.#deliver(conv.conversationId, m.seq);
      return;
    }
  }

  #markBehind(conversationId: string): void {
    this.#behind.add(conversationId);
    this.#scheduleSync();
  }

  /**
   * Run a repair round soon: a sync (then the gap fetch of lagging conversations). Rounds that fail
   * or leave a row behind are retried with a growing delay (50 ms to 5 s) while connected; a
   * reconnect runs the resume procedure instead.
   */
  #scheduleSync(): void {
    if (this.#syncTimer !== undefined) return;
    const delay = Math.min(5000, 50 * 2 ** Math.min(this.#syncRetries, 7));
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (!this.#conn.authenticated) return;
      void this.#serial(() => this.#repair()).catch((error: unknown) => {
        this.#syncRetries++;
        this.#scheduleSync();
        this.#quiet(error);
      });
    }, delay);
  }

  async #repair(): Promise<void> {
    await this.#sync();
    for (const id of [...this.#lagging]) {
      const conv = this.#convs.get(id);
      if (conv?.loaded) await this.#catchUp(conv);
      this.#lagging.delete(id);
    }
    if (this.#behind.size === 0) this.#syncRetries = 0;
    else if (++this.#syncRetries > MAX_REPAIR_ROUNDS) {
      // the server keeps not returning these rows (left, deleted): stop asking; the next resume syncs
      this.#behind.clear();
      this.#syncRetries = 0;
    } else this.#scheduleSync();
  }

  /**
   * Ask the server what changed since the cursor; its entries are the truth for unread counts.
   * A paged reply (`nextPage`) is followed with the same `since` until the last page; contacts
   * come with the first page, and the cursor is kept only after the last one, so an interrupted
   * round starts again from the old cursor.
   */
  async #sync(): Promise<void> {
    const since = this.#cursor;
    let page: string | undefined;
    let cursor: string;
    for (let first = true; ; first = false) {
      const res = await this.#req<SyncResult>('sync', { ...(since === undefined ? {} : { since }), ...(page === undefined ? {} : { page }) });
      if (first && res.reset) this.#inboxState.clear();
      const { ahead, unsure } = this.#inboxState.applyEntries(res.entries);
      if (first) this.#setContacts(res.contacts, res.reset);
      // a row the server returned and the local one became is exact; one still ahead locally was
      // computed before events we applied out of order: ask again until a row covers them
      for (const e of res.entries) {
        const id = e.conversation.id;
        if (unsure.has(id)) this.#behind.add(id);
        else if (!ahead.has(id)) this.#behind.delete(id);
        this.#deliverEntry(id);
      }
      this.#changed('inbox');
      cursor = res.cursor;
      const next = res.nextPage ?? null;
      if (next === null) break;
      if (next === page) throw new ParleyError('INTERNAL', 'sync: the server returned the same page again');
      page = next;
    }
    this.#cursor = cursor;
  }

  /** The resume procedure, run after every (re)connect and authentication. */
  async #resume(auth: WireOpResults['auth']): Promise<void> {
    if (this.#me !== null && this.#me !== auth.userId) this.#forgetUser();
    this.#me = auth.userId;
    await this.#outbox.authenticated(auth.userId);
    await this.#catchUpAll(false);
  }

  async #catchUpAll(refreshHidden: boolean): Promise<void> {
    await this.#sync();
    // one conversation at a time: a burst of requests per held conversation would trip the server's rate limit
    for (const conv of [...this.#convs.values()]) await this.#refresh(conv, refreshHidden || conv.loaded);
    this.#lagging.clear();
    if (this.#behind.size > 0) this.#scheduleSync();
  }

  /** Bring one held conversation up to date: newest page if needed, the gap after the last seq held, receipts, hidden. */
  async #refresh(conv: ConversationMessages, refreshHidden: boolean): Promise<void> {
    const id = conv.conversationId;
    const entry = this.#inboxState.get(id);
    if (conv.loaded && entry && entry.conversation.lastSeq - conv.appliedSeq > conv.limit) conv.clear();
    const [receipts, hidden] = await Promise.all([
      this.#req<Receipt[]>('receipts', { conversationId: id }).catch((error: unknown) => (isParleyError(error, 'FORBIDDEN') ? [] : Promise.reject(error))),
      refreshHidden && conv.loaded ? this.#req<number[]>('hidden', { conversationId: id }) : Promise.resolve([]),
      conv.loaded ? Promise.resolve() : this.#loadNewest(conv),
    ]);
    for (const r of receipts) conv.applyReceipt(r);
    for (const seq of hidden) conv.remove(seq);
    await this.#catchUp(conv);
    this.#changed('messages', id);
    this.#deliverHeld(conv);
    // the messages are newer than the inbox row (or there is none yet): the row follows in a sync round
    const row = this.#inboxState.get(id);
    if (conv.loaded && (!row || row.conversation.lastSeq < conv.appliedSeq)) this.#markBehind(id);
  }

  async #loadNewest(conv: ConversationMessages): Promise<void> {
    const res = await this.#req<AnyResultOf<'history'>>('history', { conversationId: conv.conversationId, limit: this.#pageSize });
    if (!this.#convs.has(conv.conversationId)) return;
    for (const e of res.events) if (e.type === 'message') conv.insert(e.message);
    conv.appliedSeq = Math.max(conv.appliedSeq, res.events.at(-1)?.seq ?? 0);
    conv.hasOlder = res.hasMore;
    conv.loaded = true;
  }

  /** Fetch every event after the last seq applied (`all: true`), page by page, until the server has no more. */
  async #catchUp(conv: ConversationMessages): Promise<void> {
    if (!conv.loaded) return;
    for (;;) {
      const res = await this.#req<AnyResultOf<'history'>>('history', {
        conversationId: conv.conversationId,
        after: conv.appliedSeq,
        all: true,
        limit: HISTORY_MAX,
      });
      for (const e of res.events) this.#applyEvent(e);
      const last = res.events.at(-1)?.seq;
      if (last !== undefined && last > conv.appliedSeq) conv.appliedSeq = last;
      if (!res.hasMore || last === undefined) return;
    }
  }

  /** Another user signed in on this client: drop everything that belonged to the previous one. */
  #forgetUser(): void {
    this.#inboxState.clear();
    this.#cursor = undefined;
    this.#behind.clear();
    this.#lagging.clear();
    this.#delivering.clear();
    for (const conv of this.#convs.values()) conv.clear();
    this.#presenceMap.clear();
    this.#contactMap.clear();
    this.#typingState.clear();
    this.#changed('inbox');
    this.#changed('presence');
    this.#changed('contacts');
    for (const id of this.#msgViews.keys()) this.#changed('messages', id);
  }

  // ---------------------------------------------------------------- outbox

  /** The server has the message (ack or push, whichever came first): leave the outbox, show the confirmed message. */
  #acked(message: Message): void {
    const conv = this.#convs.get(message.conversationId);
    if (conv?.loaded && conv.insert(message)) this.#changed('messages', message.conversationId);
    this.#outbox.settle(message);
  }
}

/**
 * Create a client. It connects at once (unless `autoConnect: false`), authenticates with the
 * first frame, resumes after every reconnect and keeps its state views current.
 *
 * ```ts
 * import { createClient } from '@parley/client';
 * const client = createClient({ url: 'wss://chat.example.com/parley', getToken: () => fetchToken() });
 * client.inbox.subscribe(() => render(client.inbox.getSnapshot()));
 * await client.open(conversationId);
 * client.send({ conversationId, text: 'hi' });
 * ```
 *
 * In Node 20 (no global WebSocket) pass the `ws` class: `createClient({ url, token, WebSocket })`.
 */
export function createClient(options: ClientOptions): ParleyClient {
  return new ParleyClient(options);
}

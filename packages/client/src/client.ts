import type { AnyParamsOf, AnyResultOf, Contact, Message, PushFrame, Receipt } from '@parley/protocol';
// The named export: under NodeNext the default import of this CommonJS package is its module object.
import { EventEmitter } from 'eventemitter3';
import { resolveBackoff } from './backoff.js';
import type { ClientEvents, ClientOptions, ConnectionSnapshot, SendHandle, SendInput } from './client-options.js';
import { Connection, type ConnectionState, type StateDetail } from './connection.js';
import type { CacheLink } from './cache-port.js';
import { DeliveryReceipts } from './delivery-receipts.js';
import { ParleyError, isParleyError } from './errors.js';
import { internalRequester } from './internal-request.js';
import { LocalState } from './local-state.js';
import { OP_NAMES, type Api, type ClientOpName, type RequestOptions } from './ops.js';
import { memoryOutbox, type OutboxItem } from './outbox.js';
import { OutboxQueue } from './outbox-queue.js';
import { HISTORY_MAX, Resumer } from './resume.js';
import { SerialQueue } from './serial-queue.js';
import type { PresenceSnapshot } from './state/ephemeral.js';
import type { InboxSnapshot } from './state/inbox.js';
import type { MessagesSnapshot } from './state/messages.js';
import type { View } from './state/view.js';
import type { WebSocketConstructor, WindowLike } from './transport.js';
import { randomId } from './uuid.js';

export type { ClientEvents, ClientOptions, ConnectionSnapshot, SendHandle, SendInput, ViewChange } from './client-options.js';

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
  readonly #pageSize: number;
  #detail: StateDetail = {};
  readonly #queue = new SerialQueue();
  readonly #state: LocalState;
  readonly #outbox: OutboxQueue;
  readonly #receipts: DeliveryReceipts;
  readonly #resumer: Resumer;
  readonly #cache: CacheLink | undefined;
  readonly #cacheUser: string | null;

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
    this.#pageSize = Math.min(HISTORY_MAX, Math.max(1, options.pageSize ?? 50));
    const emit: LocalStateEmit = this.emit.bind(this);

    this.#state = new LocalState(Math.max(1, options.messageWindow ?? 200), {
      emit,
      connection: () => ({ state: this.#conn.state, detail: this.#detail, userId: this.#state.me }),
      outboxItems: () => this.#outbox.items,
      behind: (id) => this.#resumer.markBehind(id),
      resync: () => this.#resumer.scheduleSync(),
      arrived: (id, seq) => this.#receipts.deliver(id, seq),
      acked: (message) => this.#acked(message),
      viewChanged: (view, id) => this.#cache?.changed(view, id),
    });
    this.connection = this.#state.connection;
    this.inbox = this.#state.inbox;
    this.presence = this.#state.presence;
    this.contacts = this.#state.contacts;
    this.outbox = this.#state.outbox;
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
        this.#state.changed('outbox');
        for (const id of ids) this.#state.changed('messages', id);
      },
      error: (error) => this.#error(error),
    });
    this.#receipts = new DeliveryReceipts({
      enabled: options.autoDeliver ?? true,
      state: this.#state,
      authenticated: () => this.#conn.authenticated,
      send: (receipts) => (receipts.length === 1 ? this.request('markDelivered', receipts[0]!) : this.request('markDeliveredMany', { receipts: [...receipts] })),
      quiet: (error) => this.#quiet(error),
    });

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
        this.#state.changed('connection');
        this.emit('state', state, detail);
        if (state === 'ready') {
          this.emit('ready', this.#state.me!);
          this.#outbox.wake();
        }
        if (state === 'auth_failed' || state === 'closed') this.#outbox.stopped(state === 'closed' ? 'CLOSED' : 'AUTH_FAILED', `client ${state}`);
      },
      onPush: (frame) => this.#onPush(frame),
      onOpen: (auth) => this.#queue.run(() => this.#resumer.resume(auth)),
      onError: (error) => this.#error(error),
    });
    this.#cache = options.cache?.attach({
      state: this.#state,
      cursor: { get: () => this.#resumer.cursor, set: (c) => (this.#resumer.cursor = c) },
      delayMs: options.cacheDelayMs ?? 250,
      error: (error) => this.#error(error),
    });
    this.#resumer = new Resumer({
      state: this.#state,
      outbox: this.#outbox,
      receipts: this.#receipts,
      req: internalRequester(this.#conn, options.requestTimeoutMs ?? 15_000),
      authenticated: () => this.#conn.authenticated,
      serial: (job) => this.#queue.run(job),
      pageSize: this.#pageSize,
      quiet: (error) => this.#quiet(error),
      emit,
      ...(this.#cache ? { cache: this.#cache } : {}),
    });
    this.#cacheUser = options.userId ?? null;
    // the cached inbox shows before the first connection when the app names the user
    if (this.#cache && options.userId !== undefined) void this.#queue.run(() => this.#cache!.restore(options.userId!));

    if (options.autoConnect !== false) this.connect();
  }

  /** Current connection state. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /**
   * The authenticated user, once known. With a `cache` and the `userId` option, that user from the
   * moment their cached state is shown (before authentication); a different authenticated user
   * replaces it, and everything restored for the first one is dropped.
   */
  get userId(): string | null {
    return this.#state.me;
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
    this.#state.absorb(op, result);
    return result;
  }

  /** The messages of a conversation. Call {@link open} to load them. */
  messages(conversationId: string): View<MessagesSnapshot> {
    return this.#state.messagesView(conversationId);
  }

  /** Users typing in a conversation (not the user themselves); entries expire by themselves. */
  typing(conversationId: string): View<readonly string[]> {
    return this.#state.typingView(conversationId);
  }

  /**
   * Hold a conversation's messages locally: load the newest page, its members' receipts, and keep
   * it current (pushes, gap fetches, resumes). Resolves when loaded; when offline it resolves at
   * once and the next resume loads it. With an offline `cache` the saved window shows first, and
   * only what follows it is fetched.
   */
  open(conversationId: string): Promise<void> {
    this.#state.hold(conversationId);
    return this.#queue.run(async () => {
      const conv = this.#state.convs.get(conversationId);
      if (!conv) return;
      const restored = (await this.#cache?.restoreConversation(conv)) ?? false;
      this.#cache?.opened(conversationId);
      if ((conv.loaded && !restored) || !this.#conn.authenticated) return;
      // a window from the cache fetches only what follows it (and what was hidden meanwhile)
      await this.#resumer.refresh(conv, restored);
    }).catch((error: unknown) => this.#quiet(error));
  }

  /** Load the page before the oldest message held. Resolves with whether even older ones exist. */
  loadOlder(conversationId: string): Promise<{ hasMore: boolean }> {
    return this.#queue.run(async () => {
      const conv = this.#state.convs.get(conversationId);
      if (!conv || !conv.loaded) throw new ParleyError('INVALID', `loadOlder: open(${JSON.stringify(conversationId)}) first`);
      const before = conv.oldestSeq;
      if (before === undefined && !conv.hasOlder) return { hasMore: false };
      const res = await this.#conn.request<AnyResultOf<'history'>>('history', {
        conversationId,
        ...(before !== undefined ? { before } : {}),
        limit: this.#pageSize,
      }, { immediate: this.#conn.authenticated });
      conv.insertOlder(res.events.flatMap((e) => (e.type === 'message' ? [e.message] : [])), res.hasMore);
      this.#state.changed('messages', conversationId);
      return { hasMore: res.hasMore };
    });
  }

  /** Stop holding a conversation's messages (frees memory; the view empties). */
  release(conversationId: string): void {
    if (this.#state.convs.delete(conversationId)) this.#state.changed('messages', conversationId);
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
    const cleared = this.#cache?.clear(this.#state.me ?? this.#cacheUser);
    this.close();
    await Promise.all([settled, cleared]);
  }

  /**
   * Resolves when every change so far is saved to the offline cache (at once without one). The
   * client saves by itself shortly after each change; call this before the page or process goes away.
   */
  flushCache(): Promise<void> {
    return this.#cache?.flush() ?? Promise.resolve();
  }

  /** Move the read watermark to `seq` (default: the conversation's last seq). Unread counts follow. */
  async markRead(conversationId: string, seq?: number): Promise<Receipt> {
    const target = seq ?? this.#state.inboxRows.get(conversationId)?.conversation.lastSeq ?? this.#state.convs.get(conversationId)?.appliedSeq ?? 0;
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
    this.#resumer.close();
    this.#outbox.close();
    this.#receipts.close();
    void this.#cache?.close();
    this.#state.typingState.clear();
    this.#conn.close();
  }

  // ---------------------------------------------------------------- wiring

  #onPush(frame: PushFrame): void {
    this.emit('push', frame);
    if (this.#state.applyUnordered(frame)) return;
    void this.#queue.run(() => this.#resumer.applyOrdered(frame)).catch((error: unknown) => this.#quiet(error));
  }

  #error(error: unknown): void {
    this.emit('error', error);
  }

  /** Errors from a dropped connection are expected (the resume repairs); others are reported. */
  #quiet(error: unknown): void {
    if (isParleyError(error) && (error.code === 'DISCONNECTED' || error.code === 'CLOSED' || error.code === 'AUTH_FAILED')) return;
    this.#error(error);
  }

  /** The server has the message (ack or push, whichever came first): leave the outbox, show the confirmed message. */
  #acked(message: Message): void {
    this.#state.confirm(message);
    this.#outbox.settle(message);
  }
}

type LocalStateEmit = ParleyClient['emit'];

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

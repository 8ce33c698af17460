import type { Message, Presence, PushFrame, Receipt, ConversationEvent, Member } from '@parley/protocol';
import type { BackoffOptions } from './backoff.js';
import type { AttachableCache } from './cache-port.js';
import type { ConnectionState, StateDetail } from './connection.js';
import type { OutboxStorage, SendParams } from './outbox.js';
import type { WebSocketConstructor, WindowLike } from './transport.js';

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
   * arrived: as pushes, through a sync (the inbox row's last message), `open()` or a resume. Once
   * per conversation and newer seq, coalesced: what arrives within 50 ms goes out in one request
   * (`markDelivered` for one conversation, `markDeliveredMany` for several). Default true.
   */
  autoDeliver?: boolean;
  /**
   * An offline cache (`createOfflineCache` from `@parley/client/offline`): the inbox, contacts,
   * sync cursor and the windows of opened conversations, per user. With it (and the `userId`
   * option) the cached inbox shows before the client is online, `open()` shows a cached window at
   * once, and the resume fetches only what the cache lacks. `signOut()` clears the user's cache.
   * Default: none.
   */
  cache?: AttachableCache;
  /** Delay in ms between a change and its save to the `cache` (changes in between are saved together). Default 250. */
  cacheDelayMs?: number;
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

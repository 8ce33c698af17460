import { CLOSE_CODES, type ConversationEvent, type PushFrame } from '@parley/protocol';
import { topics, type BusMessage, type Chat, type Unsubscribe } from '@parley/core';
import type { Logger, WsLimits } from './options.js';
import { pushBytes } from './wire.js';

/** What the fan-out needs from a connection. */
export interface FanoutTarget {
  readonly id: string;
  readonly userId: string;
  /** Send a serialised push (the same buffer goes to every recipient). */
  sendBytes(data: Buffer): void;
  /** Close the connection with a WebSocket close code (an erased user's devices get `SESSION_REVOKED`). */
  close(code: number, reason: string): void;
}

type FeedItem = BusMessage | (() => Promise<void>);

/** One conversation subscribed on this node. */
interface Feed {
  readonly id: string;
  /** Highest seq forwarded (or known to be covered by the clients' resume). */
  lastSeq: number;
  /** Connected users that are active members and receive this conversation. */
  readonly users: Set<string>;
  readonly queue: FeedItem[];
  draining: boolean;
  closed: boolean;
  unsubscribe: Promise<Unsubscribe | null>;
}

/** One user with at least one connection on this node. */
interface UserEntry {
  readonly userId: string;
  readonly conns: Set<FanoutTarget>;
  readonly conversations: Set<string>;
  /** Connections attached or attaching; the entry is torn down when it drops to zero. */
  refs: number;
  ready: Promise<void>;
  unsubscribe: Unsubscribe | null;
  closed: boolean;
}

/** `UserEntry.ready` once the user's topics are subscribed (shared: one settled promise per user is waste). */
const READY: Promise<void> = Promise.resolve();

const INBOX_PAGE = 200;
const GAP_PAGE = 200;

/**
 * Per-node fan-out from the bus to sockets. Each conversation topic is subscribed once for all the
 * node's connected members, each user topic once per connected user. Events are forwarded per
 * conversation in seq order, exactly once: duplicates (seq <= last forwarded) are dropped and gaps
 * are filled from the store before forwarding. A user receives a conversation's events only while an
 * active member: from its `member.joined` (or the inbox at connect) to its `member.left` inclusive.
 */
export class Fanout {
  readonly #chat: Chat;
  readonly #logger: Logger;
  readonly #limits: WsLimits;
  readonly #feeds = new Map<string, Feed>();
  readonly #users = new Map<string, UserEntry>();

  constructor(input: { chat: Chat; logger: Logger; limits: WsLimits }) {
    this.#chat = input.chat;
    this.#logger = input.logger;
    this.#limits = input.limits;
  }

  /** Conversations subscribed on this node. */
  get conversationCount(): number {
    return this.#feeds.size;
  }

  /** Users with connections on this node. */
  get userCount(): number {
    return this.#users.size;
  }

  /**
   * Start delivering to a connection. Resolves once its user's topics are subscribed, so that
   * everything committed afterwards is pushed and everything before is found by the client's resume.
   */
  async attach(conn: FanoutTarget): Promise<void> {
    let entry = this.#users.get(conn.userId);
    if (!entry) {
      const created: UserEntry = {
        userId: conn.userId,
        conns: new Set(),
        conversations: new Set(),
        refs: 0,
        ready: READY,
        unsubscribe: null,
        closed: false,
      };
      created.ready = this.#openUser(created);
      this.#users.set(conn.userId, created);
      entry = created;
    }
    entry.refs++;
    try {
      await entry.ready;
    } catch (error) {
      this.#release(entry);
      throw error;
    }
    if (!entry.closed) entry.conns.add(conn);
  }

  /** Stop delivering to a connection (idempotent per attach). */
  detach(conn: FanoutTarget): void {
    const entry = this.#users.get(conn.userId);
    if (!entry || !entry.conns.delete(conn)) return;
    this.#release(entry);
  }

  /** Send a push to every connection on this node. */
  broadcast(push: PushFrame): void {
    const bytes = pushBytes(push);
    for (const entry of this.#users.values()) for (const c of entry.conns) c.sendBytes(bytes);
  }

  /** Unsubscribe everything. */
  async close(): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const feed of this.#feeds.values()) jobs.push(this.#closeFeed(feed));
    for (const entry of this.#users.values()) {
      entry.closed = true;
      if (entry.unsubscribe) jobs.push(entry.unsubscribe().catch(() => {}));
    }
    this.#users.clear();
    await Promise.all(jobs);
  }

  #release(entry: UserEntry): void {
    entry.refs--;
    if (entry.refs > 0 || entry.closed) return;
    entry.closed = true;
    if (this.#users.get(entry.userId) === entry) this.#users.delete(entry.userId);
    void entry.ready
      .catch(() => {})
      .then(async () => {
        for (const id of entry.conversations) this.#removeUser(id, entry.userId);
        entry.conversations.clear();
        await entry.unsubscribe?.();
      })
      .catch((error: unknown) => this.#logger.warn('fanout: unsubscribe failed', { userId: entry.userId, error: describe(error) }));
  }

  async #openUser(entry: UserEntry): Promise<void> {
    entry.unsubscribe = await this.#chat.pubsub.subscribe(topics.user(entry.userId), (m) => this.#onUserMessage(entry, m));
    const startedAt = Date.now() - 1000;
    const pages = await this.#loadInbox(entry, () => true);
    // a conversation active while paging moved to the top, possibly past our cursor: read the top again
    if (pages > 1) await this.#loadInbox(entry, (activity) => activity >= startedAt);
    // wait until every conversation topic is subscribed before reporting ready
    await Promise.all([...entry.conversations].map((id) => this.#feeds.get(id)?.unsubscribe));
    entry.ready = READY; // this call's promise (awaited by attaches so far) need not live as long as the user
  }

  /** Page through the user's active conversations (by activity, newest first) while `more` holds. Returns pages read. */
  async #loadInbox(entry: UserEntry, more: (lastActivityAt: number) => boolean): Promise<number> {
    let after: { lastActivityAt: number; conversationId: string } | undefined;
    for (let pages = 1; ; pages++) {
      if (entry.closed) return pages;
      const rows = await this.#chat.store.inbox({ userId: entry.userId, limit: INBOX_PAGE, ...(after ? { after } : {}) });
      for (const row of rows) if (!entry.conversations.has(row.conversation.id)) this.#addFromInbox(entry, row.conversation.id, row.conversation.lastSeq);
      const last = rows[rows.length - 1];
      if (rows.length < INBOX_PAGE || !last || !more(last.conversation.lastActivityAt)) return pages;
      after = { lastActivityAt: last.conversation.lastActivityAt, conversationId: last.conversation.id };
    }
  }

  /** Add a user seen active in a conversation at `rowSeq` by an inbox read. */
  #addFromInbox(entry: UserEntry, conversationId: string, rowSeq: number): void {
    if (entry.closed) return;
    entry.conversations.add(conversationId);
    const existing = this.#feeds.get(conversationId);
    if (!existing) {
      this.#openFeed(conversationId, rowSeq).users.add(entry.userId);
      return;
    }
    // serialise with the feed so the user neither sees events from before it joined nor after it left
    this.#enqueue(existing, async () => {
      if (existing.lastSeq < rowSeq) await this.#fill(existing, rowSeq + 1);
      if (entry.closed || !entry.conversations.has(conversationId)) return;
      if (existing.lastSeq > rowSeq && !(await this.#chat.isMember(conversationId, entry.userId))) {
        entry.conversations.delete(conversationId);
        return;
      }
      existing.users.add(entry.userId);
    });
  }

  #openFeed(conversationId: string, lastSeq: number): Feed {
    const feed: Feed = {
      id: conversationId,
      lastSeq,
      users: new Set(),
      queue: [],
      draining: false,
      closed: false,
      unsubscribe: Promise.resolve(null),
    };
    const subscribed = this.#chat.pubsub.subscribe(topics.conversation(conversationId), (m) => this.#enqueue(feed, m));
    feed.unsubscribe = subscribed.catch((error: unknown) => {
      this.#logger.error('fanout: subscribe failed', { conversationId, error: describe(error) });
      return null;
    });
    this.#feeds.set(conversationId, feed);
    return feed;
  }

  async #closeFeed(feed: Feed): Promise<void> {
    if (feed.closed) return;
    feed.closed = true;
    feed.queue.length = 0;
    if (this.#feeds.get(feed.id) === feed) this.#feeds.delete(feed.id);
    const unsubscribe = await feed.unsubscribe;
    await unsubscribe?.().catch(() => {});
  }

  #removeUser(conversationId: string, userId: string): void {
    const feed = this.#feeds.get(conversationId);
    if (!feed) return;
    feed.users.delete(userId);
    if (feed.users.size === 0) void this.#closeFeed(feed);
  }

  #onUserMessage(entry: UserEntry, message: BusMessage): void {
    if (entry.closed) return;
    if (message.t === 'user.erased') {
      for (const c of [...entry.conns]) c.close(CLOSE_CODES.SESSION_REVOKED, 'account deleted');
      return;
    }
    if (message.t === 'push') {
      const bytes = pushBytes(message.push);
      for (const c of entry.conns) c.sendBytes(bytes);
      return;
    }
    if (message.t !== 'event') return;
    const event = message.event;
    const feed = this.#feeds.get(event.conversationId);
    if (feed) {
      this.#enqueue(feed, message);
      return;
    }
    if (event.type === 'member.joined' || event.type === 'conversation.created') {
      entry.conversations.add(event.conversationId);
      this.#enqueue(this.#openFeed(event.conversationId, event.seq - 1), message);
    } else if (event.type === 'member.left' && event.userId === entry.userId) {
      // not followed on this node: still tell the user's devices about their own departure
      const bytes = pushBytes({ ev: 'event', event });
      for (const c of entry.conns) c.sendBytes(bytes);
    }
  }

  #enqueue(feed: Feed, item: FeedItem): void {
    if (feed.closed) return;
    feed.queue.push(item);
    if (!feed.draining) void this.#drain(feed);
  }

  async #drain(feed: Feed): Promise<void> {
    feed.draining = true;
    try {
      await feed.unsubscribe; // never process before the topic is subscribed
      while (feed.queue.length > 0 && !feed.closed) {
        const item = feed.queue.shift()!;
        try {
          if (typeof item === 'function') await item();
          else if (item.t === 'event') {
            const seq = item.event.seq;
            if (seq <= feed.lastSeq) continue;
            if (seq > feed.lastSeq + 1) await this.#fill(feed, seq);
            this.#forward(feed, item.event);
          } else if (item.t === 'receipt') {
            this.#send(feed, pushBytes({ ev: 'receipt', receipt: item.receipt }), null);
          } else if (item.t === 'typing') {
            const { conversationId, userId, typing, expiresInMs } = item;
            this.#send(feed, pushBytes({ ev: 'typing', conversationId, userId, typing, expiresInMs }), userId);
          }
        } catch (error) {
          this.#logger.error('fanout: delivery failed', { conversationId: feed.id, error: describe(error) });
        }
      }
    } finally {
      feed.draining = false;
    }
    if (feed.users.size === 0 && feed.queue.length === 0) void this.#closeFeed(feed);
  }

  /** Forward the events between `feed.lastSeq` and `beforeSeq` from the store, or ask for a resume. */
  async #fill(feed: Feed, beforeSeq: number): Promise<void> {
    if (beforeSeq - feed.lastSeq - 1 > this.#limits.maxGapFill) {
      this.#askResume(feed, 'gap too large', beforeSeq - 1);
      return;
    }
    try {
      while (feed.lastSeq + 1 < beforeSeq && !feed.closed) {
        const events = await this.#chat.store.events({
          conversationId: feed.id,
          after: feed.lastSeq,
          before: beforeSeq,
          limit: GAP_PAGE,
          timelineOnly: false,
        });
        const before = feed.lastSeq;
        for (const event of events) if (event.seq === feed.lastSeq + 1) this.#forward(feed, event);
        if (feed.lastSeq === before) throw new Error('store returned no progress');
      }
    } catch (error) {
      this.#logger.warn('fanout: gap fill failed', { conversationId: feed.id, error: describe(error) });
      this.#askResume(feed, 'gap fill failed', beforeSeq - 1);
    }
  }

  #askResume(feed: Feed, reason: string, skipTo: number): void {
    this.#send(feed, pushBytes({ ev: 'resume', reason }), null);
    feed.lastSeq = Math.max(feed.lastSeq, skipTo);
  }

  #forward(feed: Feed, event: ConversationEvent): void {
    feed.lastSeq = event.seq;
    if (event.type === 'member.joined') this.#admit(feed, event.userId);
    else if (event.type === 'conversation.created') for (const m of event.members) this.#admit(feed, m.userId);
    this.#send(feed, pushBytes({ ev: 'event', event }), null);
    if (event.type === 'member.left') {
      this.#users.get(event.userId)?.conversations.delete(feed.id);
      this.#removeUser(feed.id, event.userId);
    }
  }

  #admit(feed: Feed, userId: string): void {
    const entry = this.#users.get(userId);
    if (!entry || entry.closed) return;
    entry.conversations.add(feed.id);
    feed.users.add(userId);
  }

  #send(feed: Feed, bytes: Buffer, exceptUser: string | null): void {
    for (const userId of feed.users) {
      if (userId === exceptUser) continue;
      const entry = this.#users.get(userId);
      if (entry) for (const c of entry.conns) c.sendBytes(bytes);
    }
  }
}

/** An error's class and code for logs (never its message, which may quote user content). */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name}(${code})` : error.name;
  }
  return typeof error;
}

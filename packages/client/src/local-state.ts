import type { Contact, ConversationEvent, Message, Presence, PushFrame, Receipt } from '@parley/protocol';
import type { EventEmitter } from 'eventemitter3';
import type { ClientEvents, ConnectionSnapshot, ViewChange } from './client-options.js';
import type { ClientOpName } from './ops.js';
import type { OutboxItem } from './outbox.js';
import { TypingState, type PresenceSnapshot } from './state/ephemeral.js';
import { InboxState, type InboxSnapshot } from './state/inbox.js';
import { ConversationMessages, MessagesSnapshotBuilder, type MessagesSnapshot } from './state/messages.js';
import { Cell, type View } from './state/view.js';

/** What the local state needs from the parts around it (wired by the facade). */
export interface LocalStateHooks {
  emit: EventEmitter<ClientEvents>['emit'];
  /** The connection view's snapshot. */
  connection(): ConnectionSnapshot;
  /** The outbox items, for the messages views' pending messages. */
  outboxItems(): readonly OutboxItem[];
  /** The inbox row of a conversation may not match the server's: a repair round must follow. */
  behind(conversationId: string): void;
  /** An own receipt moved the read watermark past what can be counted locally: sync soon. */
  resync(): void;
  /** A message from someone else reached this device for the first time. */
  arrived(conversationId: string, seq: number): void;
  /** The server has one of the user's own messages (ack or push). */
  acked(message: Message): void;
  /** A view changed (the offline cache saves what it shows). */
  viewChanged?(view: ViewChange['view'], conversationId?: string): void;
}

/**
 * Internal: the client's local state (inbox rows, held messages, typing, presence, contacts), its
 * views, and how events and receipts change it. Events are deduplicated by (conversationId, seq).
 */
export class LocalState {
  /** The authenticated user, once known. */
  me: string | null = null;
  readonly inboxRows = new InboxState();
  readonly convs = new Map<string, ConversationMessages>();
  readonly typingState: TypingState;
  readonly presenceMap = new Map<string, Presence>();
  readonly contactMap = new Map<string, Contact>();

  readonly connection: Cell<ConnectionSnapshot>;
  readonly inbox: Cell<InboxSnapshot>;
  readonly presence: Cell<PresenceSnapshot>;
  readonly contacts: Cell<readonly Contact[]>;
  readonly outbox: Cell<readonly OutboxItem[]>;

  readonly #window: number;
  readonly #hooks: LocalStateHooks;
  readonly #msgViews = new Map<string, { cell: Cell<MessagesSnapshot>; builder: MessagesSnapshotBuilder }>();
  readonly #typingViews = new Map<string, Cell<readonly string[]>>();

  constructor(window: number, hooks: LocalStateHooks) {
    this.#window = window;
    this.#hooks = hooks;
    this.connection = new Cell(() => hooks.connection());
    this.inbox = new Cell(() => this.inboxRows.snapshot(Date.now()));
    this.presence = new Cell(() => Object.freeze(Object.fromEntries(this.presenceMap)));
    this.contacts = new Cell(() => Object.freeze([...this.contactMap.values()]));
    this.outbox = new Cell(() => Object.freeze(hooks.outboxItems().slice()));
    this.typingState = new TypingState((id) => this.changed('typing', id));
  }

  /** The held messages of a conversation, created (not loaded) when absent. */
  hold(conversationId: string): ConversationMessages {
    let conv = this.convs.get(conversationId);
    if (!conv) this.convs.set(conversationId, (conv = new ConversationMessages(conversationId, this.#window)));
    return conv;
  }

  messagesView(conversationId: string): View<MessagesSnapshot> {
    let v = this.#msgViews.get(conversationId);
    if (!v) {
      const builder = new MessagesSnapshotBuilder();
      const cell = new Cell(() => builder.build(this.convs.get(conversationId), conversationId, this.#hooks.outboxItems(), this.me));
      v = { cell, builder };
      this.#msgViews.set(conversationId, v);
    }
    return v.cell;
  }

  typingView(conversationId: string): View<readonly string[]> {
    let v = this.#typingViews.get(conversationId);
    if (!v) {
      v = new Cell(() => Object.freeze(this.typingState.users(conversationId)));
      this.#typingViews.set(conversationId, v);
    }
    return v;
  }

  changed(view: ViewChange['view'], conversationId?: string): void {
    const cell =
      view === 'messages' ? this.#msgViews.get(conversationId!)?.cell
      : view === 'typing' ? this.#typingViews.get(conversationId!)
      : view === 'inbox' ? this.inbox
      : view === 'presence' ? this.presence
      : view === 'contacts' ? this.contacts
      : view === 'outbox' ? this.outbox
      : this.connection;
    (cell as Cell<unknown> | undefined)?.invalidate();
    this.#hooks.viewChanged?.(view, conversationId);
    this.#hooks.emit('change', conversationId === undefined ? { view } : { view, conversationId });
  }

  /** Results that carry state (receipts, presence, contacts) update the views. */
  absorb(op: ClientOpName, result: unknown): void {
    if (op === 'presence') for (const p of result as Presence[]) this.setPresence(p);
    else if (op === 'markRead' || op === 'markDelivered') this.applyReceipt(result as Receipt);
    else if (op === 'receipts') for (const r of result as Receipt[]) this.applyReceipt(r);
    else if (op === 'markDeliveredMany') for (const r of (result as { receipts: Receipt[] }).receipts) this.applyReceipt(r);
    else if (op === 'listContacts') this.setContacts(result as Contact[], true);
  }

  setPresence(p: Presence): void {
    this.presenceMap.set(p.userId, p);
    this.changed('presence');
  }

  setContacts(contacts: readonly Contact[], reset: boolean): void {
    if (reset) this.contactMap.clear();
    for (const c of contacts) this.contactMap.set(c.userId, c);
    if (reset || contacts.length > 0) this.changed('contacts');
  }

  /** Apply a push that needs no ordering with syncs (typing, presence, signal, contact). False for the others. */
  applyUnordered(frame: PushFrame): boolean {
    const emit = this.#hooks.emit;
    switch (frame.ev) {
      case 'typing':
        if (frame.userId !== this.me) this.typingState.set(frame.conversationId, frame.userId, frame.typing, frame.expiresInMs);
        emit('typing', frame);
        return true;
      case 'presence':
        this.setPresence(frame.presence);
        emit('presence', frame.presence);
        return true;
      case 'signal':
        emit('signal', frame);
        return true;
      case 'contact':
        if (frame.removed) {
          if (this.contactMap.delete(frame.contact.userId)) this.changed('contacts');
        } else this.setContacts([frame.contact], false);
        emit('contact', frame);
        return true;
      default:
        return false;
    }
  }

  /**
   * Apply one conversation event to the inbox and the held messages, deduplicated by (conversationId, seq).
   * An event the inbox row cannot take in order (no row yet, or a gap before it) marks the row as
   * behind; the sync round that follows brings it to the server's.
   */
  applyEvent(event: ConversationEvent): void {
    const me = this.me ?? '';
    const entry = this.inboxRows.get(event.conversationId);
    if (!entry || event.seq > entry.conversation.lastSeq + 1) this.#hooks.behind(event.conversationId);
    const inbox = this.inboxRows.applyEvent(event, me);
    if (inbox === 'applied') this.changed('inbox');
    let fresh = inbox !== 'duplicate';
    const conv = this.convs.get(event.conversationId);
    if (conv?.loaded) {
      if (event.seq > conv.appliedSeq) {
        conv.apply(event);
        conv.appliedSeq = event.seq;
        this.changed('messages', event.conversationId);
        fresh = true;
      } else fresh = false;
    }
    if (event.type === 'message') {
      const m = event.message;
      if (m.senderId === me && m.clientId !== null) this.#hooks.acked(m);
      else {
        this.typingState.stop(m.conversationId, m.senderId);
        if (fresh) this.#hooks.arrived(m.conversationId, m.seq);
      }
    }
    if (fresh) this.#hooks.emit('event', event);
  }

  applyReceipt(receipt: Receipt): void {
    const conv = this.convs.get(receipt.conversationId);
    if (conv?.applyReceipt(receipt)) this.changed('messages', receipt.conversationId);
    if (receipt.userId !== this.me) return;
    const result = this.inboxRows.applyOwnReceipt(receipt, (after) => this.#countUnread(conv, after));
    if (result !== 'unchanged') this.changed('inbox');
    if (result === 'resync') this.#hooks.resync();
  }

  /** Show a confirmed message of the user's own in its held conversation. */
  confirm(message: Message): void {
    const conv = this.convs.get(message.conversationId);
    if (conv?.loaded && conv.insert(message)) this.changed('messages', message.conversationId);
  }

  #countUnread(conv: ConversationMessages | undefined, after: number): number | undefined {
    if (!conv?.loaded) return undefined;
    const entry = this.inboxRows.get(conv.conversationId);
    if (entry && conv.appliedSeq < entry.conversation.lastSeq) return undefined;
    if (conv.hasOlder && (conv.oldestSeq ?? Infinity) > after + 1) return undefined;
    let n = 0;
    for (const m of conv.list()) if (m.seq > after && m.senderId !== this.me) n++;
    return n;
  }

  /** Another user signed in on this client: drop everything that belonged to the previous one. */
  forget(): void {
    this.inboxRows.clear();
    for (const conv of this.convs.values()) conv.clear();
    this.presenceMap.clear();
    this.contactMap.clear();
    this.typingState.clear();
    this.changed('inbox');
    this.changed('presence');
    this.changed('contacts');
    for (const id of this.#msgViews.keys()) this.changed('messages', id);
  }
}

import type { ConversationEvent, Message, Receipt } from '@parley/protocol';
import type { OutboxItem } from '../outbox.js';
import { applyMutation } from './mutations.js';
import { mergeReceipt, summarize, type MessageStatus, type ReceiptSummary } from './receipts.js';

/**
 * A message as the client shows it: a confirmed message (with `seq` and `id`) or one of the user's
 * own messages still in the outbox (`seq` and `id` null). `key` is stable across the two (the
 * clientId when there is one), so a UI list does not remount the row when the ack comes.
 */
export interface ClientMessage extends Omit<Message, 'seq' | 'id'> {
  /** Stable identity for rendering: the clientId, else the message id. */
  key: string;
  /** Position in the conversation; null while the message is pending. */
  seq: number | null;
  /** Server id; null while pending. */
  id: string | null;
  /** For the user's own messages: sending, sent, delivered (to all), read (by all) or failed. Null for others' messages. */
  status: MessageStatus | null;
  /** For the user's own confirmed messages: how many other members received and read it. */
  receipt: ReceiptSummary | null;
  /** For failed messages: why. */
  error: { code: string; message: string } | null;
}

/** Snapshot of one conversation's messages. */
export interface MessagesSnapshot {
  conversationId: string;
  /** Confirmed messages by ascending seq (deduplicated, at most the window), then pending ones in send order. */
  messages: readonly ClientMessage[];
  /** True once the newest page was loaded (`client.open`). */
  loaded: boolean;
  /** True when older messages exist on the server than the oldest one held (see `client.loadOlder`). */
  hasOlder: boolean;
}

/** Internal: the messages held for one conversation, bounded by `limit`. */
export class ConversationMessages {
  readonly conversationId: string;
  /** Every event with seq <= appliedSeq has been applied (the resume and gap logic rely on it). */
  appliedSeq = 0;
  /** Largest number of messages kept; grows when older pages are loaded on demand. */
  limit: number;
  hasOlder = false;
  loaded = false;
  readonly receipts = new Map<string, Receipt>();
  readonly #bySeq = new Map<number, Message>();
  #seqs: number[] = [];

  constructor(conversationId: string, limit: number) {
    this.conversationId = conversationId;
    this.limit = limit;
  }

  get size(): number {
    return this.#seqs.length;
  }

  get oldestSeq(): number | undefined {
    return this.#seqs[0];
  }

  get(seq: number): Message | undefined {
    return this.#bySeq.get(seq);
  }

  /** Messages in ascending seq order. */
  list(): Message[] {
    return this.#seqs.map((s) => this.#bySeq.get(s)!);
  }

  /** Add a message unless its seq is held (an ack arriving after the push must not undo later edits). Returns whether it changed anything. */
  insert(message: Message): boolean {
    if (this.#bySeq.has(message.seq)) return false;
    this.#bySeq.set(message.seq, message);
    const seqs = this.#seqs;
    if (seqs.length === 0 || seqs[seqs.length - 1]! < message.seq) seqs.push(message.seq);
    else {
      let lo = 0;
      let hi = seqs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (seqs[mid]! < message.seq) lo = mid + 1;
        else hi = mid;
      }
      seqs.splice(lo, 0, message.seq);
    }
    this.#trim();
    return true;
  }

  /** Add a page of older messages loaded on demand; the window grows to keep them. */
  insertOlder(messages: Message[], hasMore: boolean): void {
    let added = 0;
    for (const m of messages) if (!this.#bySeq.has(m.seq)) added++;
    this.limit += added;
    for (const m of messages) this.insert(m);
    this.hasOlder = hasMore;
  }

  /** Replace a held message (a server reply carrying the current state). */
  replace(message: Message): boolean {
    const old = this.#bySeq.get(message.seq);
    if (!old || old === message) return false;
    this.#bySeq.set(message.seq, message);
    return true;
  }

  remove(seq: number): boolean {
    if (!this.#bySeq.delete(seq)) return false;
    this.#seqs = this.#seqs.filter((s) => s !== seq);
    return true;
  }

  /** Drop all messages (a reload from the newest page follows). */
  clear(): void {
    this.#bySeq.clear();
    this.#seqs = [];
    this.appliedSeq = 0;
    this.hasOlder = false;
    this.loaded = false;
  }

  /** Apply one conversation event; returns whether the held messages changed. */
  apply(event: ConversationEvent): boolean {
    if (event.type === 'message') {
      // the server advances a sender's watermarks to their own message: they have read everything before it
      const sender = event.message.senderId;
      if (this.receipts.has(sender)) this.applyReceipt({ conversationId: event.conversationId, userId: sender, deliveredSeq: event.seq, readSeq: event.seq });
      return this.insert(event.message);
    }
    if (event.type === 'member.left') return this.receipts.delete(event.userId);
    if (event.type === 'member.joined') {
      this.receipts.set(event.userId, mergeReceipt(this.receipts.get(event.userId), { conversationId: event.conversationId, userId: event.userId, deliveredSeq: event.seq, readSeq: event.seq }));
      return true;
    }
    if (!('target' in event)) return false;
    const old = this.#bySeq.get(event.target);
    if (!old) return false;
    const next = applyMutation(old, event);
    if (next === old) return false;
    this.#bySeq.set(event.target, next);
    return true;
  }

  /** Merge a member's watermarks; returns whether they moved. */
  applyReceipt(receipt: Receipt): boolean {
    const old = this.receipts.get(receipt.userId);
    const next = mergeReceipt(old, receipt);
    if (next === old) return false;
    this.receipts.set(receipt.userId, next);
    return true;
  }

  #trim(): void {
    const extra = this.#seqs.length - this.limit;
    if (extra <= 0) return;
    for (const s of this.#seqs.slice(0, extra)) this.#bySeq.delete(s);
    this.#seqs = this.#seqs.slice(extra);
    this.hasOlder = true;
  }
}

interface CacheEntry {
  message: Message;
  receipt: ReceiptSummary | null;
  view: ClientMessage;
}

/**
 * Builds {@link MessagesSnapshot}s, reusing the row objects whose message, status and receipt
 * counts did not change, so memoised rows in a UI do not re-render.
 */
export class MessagesSnapshotBuilder {
  #rows = new Map<number, CacheEntry>();
  #pending = new WeakMap<OutboxItem, ClientMessage>();

  build(conv: ConversationMessages | undefined, conversationId: string, pending: readonly OutboxItem[], me: string | null): MessagesSnapshot {
    const rows = new Map<number, CacheEntry>();
    const messages: ClientMessage[] = [];
    const receipts = conv ? [...conv.receipts.values()] : [];
    for (const message of conv?.list() ?? []) {
      const own = me !== null && message.senderId === me;
      const receipt = own ? summarize(message.seq, me, receipts) : null;
      const old = this.#rows.get(message.seq);
      const same =
        old !== undefined &&
        old.message === message &&
        (old.receipt === receipt ||
          (old.receipt !== null && receipt !== null && old.receipt.status === receipt.status && old.receipt.delivered === receipt.delivered && old.receipt.read === receipt.read && old.receipt.recipients === receipt.recipients));
      const entry: CacheEntry = same ? old : { message, receipt, view: toView(message, receipt) };
      rows.set(message.seq, entry);
      messages.push(entry.view);
    }
    this.#rows = rows;
    const held = new Set(messages.map((m) => m.clientId).filter((c): c is string => c !== null));
    for (const item of pending) {
      if (item.conversationId !== conversationId || held.has(item.clientId)) continue;
      let view = this.#pending.get(item);
      if (!view) {
        view = pendingView(item, me);
        this.#pending.set(item, view);
      }
      messages.push(view);
    }
    return { conversationId, messages, loaded: conv?.loaded ?? false, hasOlder: conv?.hasOlder ?? false };
  }
}

function toView(message: Message, receipt: ReceiptSummary | null): ClientMessage {
  return { ...message, key: message.clientId ?? message.id, status: receipt ? receipt.status : null, receipt, error: null };
}

function pendingView(item: OutboxItem, me: string | null): ClientMessage {
  const p = item.params;
  const attachments = p.attachments ?? [];
  return {
    key: item.clientId,
    seq: null,
    id: null,
    conversationId: item.conversationId,
    senderId: item.userId ?? me ?? '',
    kind: p.kind ?? (attachments.length > 0 ? 'file' : 'text'),
    text: p.text ?? null,
    attachments: attachments.map((a) => ({ ...a })),
    replyTo: p.replyTo ?? null,
    mentions: p.mentions ?? [],
    reactions: {},
    clientId: item.clientId,
    call: null,
    metadata: p.metadata ?? {},
    pinned: false,
    createdAt: item.createdAt,
    editedAt: null,
    deletedAt: null,
    status: item.status,
    receipt: null,
    error: item.error,
  };
}

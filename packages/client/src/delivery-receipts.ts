import { HARD_LIMITS } from '@parley/protocol/lite';
import type { LocalState } from './local-state.js';
import type { ConversationMessages } from './state/messages.js';

/** What {@link DeliveryReceipts} needs from the client. */
export interface DeliveryReceiptsOptions {
  /** The `autoDeliver` option: with false nothing is ever sent. */
  enabled: boolean;
  state: LocalState;
  /** True while the connection is authenticated (a request can go out now). */
  authenticated(): boolean;
  /**
   * Send the receipts of one flush in one request (the facade's `request`, so the receipts update
   * the views): `markDelivered` for one conversation, `markDeliveredMany` for several.
   */
  send(receipts: readonly DeliveryTarget[]): Promise<unknown>;
  /** Report a failure that is not a dropped connection. */
  quiet(error: unknown): void;
  /** Delay between the first receipt of a flush and the request. Default 50 ms. */
  delayMs?: number;
}

/** One conversation's delivered watermark to send. */
export interface DeliveryTarget {
  conversationId: string;
  seq: number;
}

/**
 * Internal: automatic delivery receipts. Tells the server (once per conversation and newer seq)
 * that this device holds the messages of a conversation up to a seq, however they arrived: push,
 * sync, `open()` or a resume. Receipts are coalesced: everything that arrives within one flush
 * (50 ms after the first) goes out in one request, at most `HARD_LIMITS.receiptsPerRequest`
 * conversations each, so a resume that brings news in many conversations sends one request, not
 * one per conversation. A receipt that could not go out is forgotten, so the next resume (which
 * delivers again) sends it.
 */
export class DeliveryReceipts {
  readonly #o: DeliveryReceiptsOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Conversations waiting for the next flush. */
  readonly #due = new Set<string>();
  /** Highest seq a receipt was scheduled or sent for, per conversation (each seq once). */
  readonly #delivering = new Map<string, number>();

  constructor(options: DeliveryReceiptsOptions) {
    this.#o = options;
  }

  /** This device holds the messages of `conversationId` up to `seq`. */
  deliver(conversationId: string, seq: number): void {
    if (!this.#o.enabled) return;
    const entry = this.#o.state.inboxRows.get(conversationId);
    if (entry && (entry.member.deliveredSeq >= seq || entry.member.leftSeq !== null)) return;
    if ((this.#delivering.get(conversationId) ?? 0) >= seq) return;
    this.#delivering.set(conversationId, seq);
    this.#due.add(conversationId);
    this.#timer ??= setTimeout(() => this.#flush(), this.#o.delayMs ?? 50);
  }

  #flush(): void {
    this.#timer = undefined;
    const targets = [...this.#due].map((conversationId) => ({ conversationId, seq: this.#delivering.get(conversationId)! }));
    this.#due.clear();
    const forget = (batch: readonly DeliveryTarget[]) => {
      for (const t of batch) if (this.#delivering.get(t.conversationId) === t.seq) this.#delivering.delete(t.conversationId);
    };
    if (!this.#o.authenticated()) return forget(targets); // the resume after the reconnect delivers again
    for (let i = 0; i < targets.length; i += HARD_LIMITS.receiptsPerRequest) {
      const batch = targets.slice(i, i + HARD_LIMITS.receiptsPerRequest);
      this.#o.send(batch).catch((error: unknown) => {
        forget(batch);
        this.#o.quiet(error);
      });
    }
  }

  /** Deliver up to the newest message from others that the inbox row reports. */
  deliverEntry(conversationId: string): void {
    const entry = this.#o.state.inboxRows.get(conversationId);
    const last = entry?.conversation.lastMessage;
    if (last && last.senderId !== this.#o.state.me) this.deliver(conversationId, last.seq);
  }

  /** Deliver up to the newest message from others held for a conversation. */
  deliverHeld(conv: ConversationMessages): void {
    const list = conv.list();
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m.senderId === this.#o.state.me) return; // the server moved our watermarks to our own message
      this.deliver(conv.conversationId, m.seq);
      return;
    }
  }

  /** Another user signed in: what was scheduled for the previous one is not sent again. */
  forget(): void {
    this.#delivering.clear();
    this.#due.clear();
  }

  /** The client closed: cancel what is scheduled. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due.clear();
    this.#delivering.clear();
  }
}

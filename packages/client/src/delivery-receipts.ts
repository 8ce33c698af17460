import type { LocalState } from './local-state.js';
import type { ConversationMessages } from './state/messages.js';

/** What {@link DeliveryReceipts} needs from the client. */
export interface DeliveryReceiptsOptions {
  /** The `autoDeliver` option: with false nothing is ever sent. */
  enabled: boolean;
  state: LocalState;
  /** True while the connection is authenticated (a request can go out now). */
  authenticated(): boolean;
  /** Send `markDelivered` (the facade's `request`, so the receipt updates the views). */
  markDelivered(conversationId: string, seq: number): Promise<unknown>;
  /** Report a failure that is not a dropped connection. */
  quiet(error: unknown): void;
}

/**
 * Internal: automatic delivery receipts. Tells the server (once per conversation and newer seq)
 * that this device holds the messages of a conversation up to a seq, however they arrived: push,
 * sync, `open()` or a resume. A receipt that could not go out is forgotten, so the next resume
 * (which delivers again) sends it.
 */
export class DeliveryReceipts {
  readonly #o: DeliveryReceiptsOptions;
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Highest seq a `markDelivered` was scheduled or sent for, per conversation (each seq once). */
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
    clearTimeout(this.#timers.get(conversationId));
    this.#timers.set(
      conversationId,
      setTimeout(() => {
        this.#timers.delete(conversationId);
        const target = this.#delivering.get(conversationId) ?? seq;
        const forget = () => {
          if (this.#delivering.get(conversationId) === target) this.#delivering.delete(conversationId);
        };
        if (!this.#o.authenticated()) return forget(); // the resume after the reconnect delivers again
        this.#o.markDelivered(conversationId, target).catch((error: unknown) => {
          forget();
          this.#o.quiet(error);
        });
      }, 50),
    );
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
  }

  /** The client closed: cancel what is scheduled. */
  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#delivering.clear();
  }
}

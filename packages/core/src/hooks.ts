import type { Attachment, Conversation, Message } from '@parley/protocol';

/** What `beforeSend` sees. */
export interface BeforeSendContext {
  /** The sender. */
  userId: string;
  conversation: Conversation;
  /** The message about to be stored (no seq yet). */
  message: Omit<Message, 'seq'>;
}

/** What `beforeSend` may return: nothing to accept, `reject` to refuse, or fields to rewrite. */
export type BeforeSendResult =
  | void
  | undefined
  | { reject: string }
  | { text?: string; attachments?: Attachment[]; metadata?: Record<string, unknown> };

/** Integration points for the host app. */
export interface ChatHooks {
  /**
   * Called before a user's message is stored: moderation, spam filters, link rewriting.
   * Return `{ reject: reason }` to refuse it (the sender gets `FORBIDDEN` with the reason), or
   * fields to replace. Rewritten fields are validated again. Not called for duplicates that the
   * store recognises by clientId... it is called before the store is asked, so keep it deterministic.
   */
  beforeSend?(context: BeforeSendContext): BeforeSendResult | Promise<BeforeSendResult>;
}

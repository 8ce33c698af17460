import type { Presence } from '@parley/protocol';

/** Snapshot of presence: by user id, for the users the server told about. */
export type PresenceSnapshot = Readonly<Record<string, Presence>>;

/** Internal: who is typing where, each entry expiring on its own. */
export class TypingState {
  readonly #byConversation = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  readonly #onChange: (conversationId: string) => void;

  constructor(onChange: (conversationId: string) => void) {
    this.#onChange = onChange;
  }

  /** Users typing in a conversation, in the order they started. */
  users(conversationId: string): string[] {
    return [...(this.#byConversation.get(conversationId)?.keys() ?? [])];
  }

  set(conversationId: string, userId: string, typing: boolean, expiresInMs: number): void {
    let users = this.#byConversation.get(conversationId);
    const timer = users?.get(userId);
    if (timer !== undefined) clearTimeout(timer);
    if (!typing) {
      if (!users?.delete(userId)) return;
      if (users.size === 0) this.#byConversation.delete(conversationId);
      this.#onChange(conversationId);
      return;
    }
    if (!users) this.#byConversation.set(conversationId, (users = new Map()));
    const isNew = !users.has(userId);
    const t = setTimeout(() => this.set(conversationId, userId, false, 0), Math.max(0, expiresInMs));
    (t as { unref?: () => void }).unref?.();
    users.set(userId, t);
    if (isNew) this.#onChange(conversationId);
  }

  /** A message from a user ends their typing indicator. */
  stop(conversationId: string, userId: string): void {
    if (this.#byConversation.get(conversationId)?.has(userId)) this.set(conversationId, userId, false, 0);
  }

  clear(): void {
    for (const [conversationId, users] of this.#byConversation) {
      for (const t of users.values()) clearTimeout(t);
      this.#byConversation.delete(conversationId);
      this.#onChange(conversationId);
    }
  }
}

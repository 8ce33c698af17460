/** The page's state: the client, who is signed in, what is open, and a user cache. */
import type { ClientMessage, ParleyClient } from '@parley/client';
import type { Call, InboxEntry, User } from '@parley/protocol';
import type { Session } from './api.js';
import type { PushState } from './push.js';

/** Which list the sidebar shows. */
export type SidebarTab = 'chats' | 'channels' | 'contacts';

/** Everything the views read. Mutate it, then call `app.render()`. */
export interface AppState {
  session: Session;
  client: ParleyClient;
  tab: SidebarTab;
  /** The open conversation. */
  activeId: string | null;
  /** Filter / search text of the sidebar. */
  query: string;
  /** Message search results for `query`. */
  searchResults: { query: string; items: Array<{ conversationId: string; seq: number; senderId: string; text: string | null; createdAt: number }> } | null;
  /** The composer replies to this message. */
  replyTo: ClientMessage | null;
  /** The composer edits this message. */
  editing: ClientMessage | null;
  /** The message whose emoji picker or menu is open, by key. */
  menuFor: { key: string; kind: 'react' | 'delete' } | null;
  /** Messages hidden for me (delete for me) by conversation, applied at once before the server's push. */
  hidden: Map<string, Set<number>>;
  /** Seq to flash after opening a search result. */
  highlight: { conversationId: string; seq: number } | null;
  /** Calls live in any of my conversations. */
  calls: Map<string, Call>;
  /** The notifications bell (see push.ts). */
  push: PushState;
  /** Transient notices. */
  toasts: Array<{ id: number; text: string; kind: 'info' | 'error' }>;
}

/** Known user profiles, fetched on demand and batched. */
export class UserCache {
  readonly #users = new Map<string, User>();
  readonly #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: ParleyClient,
    private readonly onChange: () => void,
  ) {}

  /** Remember profiles (from inbox peers, searches, sign-in). */
  put(users: Iterable<User | null | undefined>): void {
    for (const u of users) if (u) this.#users.set(u.id, u);
  }

  /** The profile, or undefined while it loads (a fetch is queued). */
  get(id: string): User | undefined {
    const u = this.#users.get(id);
    if (!u && !this.#pending.has(id)) {
      this.#pending.add(id);
      this.#timer ??= setTimeout(() => void this.#flush(), 0);
    }
    return u;
  }

  /** Display name, or a placeholder while loading. */
  name(id: string): string {
    return this.get(id)?.displayName ?? '…';
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const ids = [...this.#pending].slice(0, 100);
    if (ids.length === 0) return;
    try {
      this.put(await this.client.api.getUsers({ ids }));
    } catch {
      /* retried on next get */
    } finally {
      for (const id of ids) this.#pending.delete(id);
    }
    if (this.#pending.size > 0) this.#timer = setTimeout(() => void this.#flush(), 0);
    this.onChange();
  }
}

/** Title of a conversation as the signed-in user sees it. */
export function titleOf(entry: Pick<InboxEntry, 'conversation' | 'peer'>, users: UserCache, me: string): string {
  const c = entry.conversation;
  if (c.kind === 'direct') {
    if (entry.peer) return entry.peer.displayName;
    const other = c.directPair.find((id) => id !== me) ?? me;
    return users.name(other);
  }
  if (c.kind === 'channel') return `#${c.title ?? 'channel'}`;
  return c.title ?? 'Group';
}

/** The other user of a direct conversation. */
export function peerOf(entry: Pick<InboxEntry, 'conversation'>, me: string): string | null {
  const c = entry.conversation;
  return c.kind === 'direct' ? (c.directPair.find((id) => id !== me) ?? null) : null;
}

import { topics, type Chat, type Unsubscribe } from '@parley/core';
import type { Presence } from '@parley/protocol';
import { describe } from './fanout.js';
import type { Logger, WsLimits } from './options.js';
import { pushBytes } from './wire.js';

/** A connection that can watch presence. */
export interface PresenceWatcher {
  readonly userId: string;
  /** Users this connection watches (owned by the watch registry, which creates it on the first watch and drops it at `unwatchAll`). */
  watching: Set<string> | null;
  sendBytes(data: Buffer): void;
}

interface Target {
  readonly watchers: Set<PresenceWatcher>;
  unsubscribe: Promise<Unsubscribe | null>;
  chain: Promise<void>;
}

const MAX_CACHE = 50_000;

/**
 * Presence subscriptions of the node: one `p:<userId>` subscription per watched user, shared by every
 * connection that asked for that user's presence. Each change is re-checked with `canSeePresence`
 * (cached for `limits.presenceCacheMs`) so a block takes effect without the client asking again.
 */
export class PresenceWatch {
  readonly #chat: Chat;
  readonly #logger: Logger;
  readonly #limits: WsLimits;
  readonly #targets = new Map<string, Target>();
  readonly #cache = new Map<string, { allowed: boolean; until: number }>();

  constructor(input: { chat: Chat; logger: Logger; limits: WsLimits }) {
    this.#chat = input.chat;
    this.#logger = input.logger;
    this.#limits = input.limits;
  }

  /** Watch the presence of users (already filtered by the engine). Over the per-connection cap, extra ids are ignored. */
  async watch(watcher: PresenceWatcher, userIds: readonly string[]): Promise<void> {
    const pending: Array<Promise<unknown>> = [];
    for (const id of userIds) {
      const watching = (watcher.watching ??= new Set());
      if (watching.has(id) || id === watcher.userId) continue;
      if (watching.size >= this.#limits.maxPresenceWatch) break;
      watching.add(id);
      let target = this.#targets.get(id);
      if (!target) {
        const created: Target = { watchers: new Set(), unsubscribe: Promise.resolve(null), chain: Promise.resolve() };
        created.unsubscribe = this.#chat.pubsub
          .subscribe(topics.presence(id), (m) => {
            if (m.t === 'presence') created.chain = created.chain.then(() => this.#deliver(created, m.presence));
          })
          .catch((error: unknown) => {
            this.#logger.warn('presence: subscribe failed', { error: describe(error) });
            return null;
          });
        this.#targets.set(id, created);
        target = created;
      }
      target.watchers.add(watcher);
      pending.push(target.unsubscribe);
    }
    await Promise.all(pending);
  }

  /** Stop every watch of a connection. */
  unwatchAll(watcher: PresenceWatcher): void {
    if (!watcher.watching) return;
    for (const id of watcher.watching) {
      const target = this.#targets.get(id);
      if (!target) continue;
      target.watchers.delete(watcher);
      if (target.watchers.size > 0) continue;
      this.#targets.delete(id);
      void target.unsubscribe.then((u) => u?.()).catch(() => {});
    }
    watcher.watching = null;
  }

  /** Drop all subscriptions. */
  async close(): Promise<void> {
    const all = [...this.#targets.values()];
    this.#targets.clear();
    await Promise.all(all.map((t) => t.unsubscribe.then((u) => u?.()).catch(() => {})));
  }

  async #deliver(target: Target, presence: Presence): Promise<void> {
    let bytes: Buffer | null = null;
    for (const watcher of [...target.watchers]) {
      if (!(await this.#allowed(watcher.userId, presence.userId))) continue;
      bytes ??= pushBytes({ ev: 'presence', presence });
      watcher.sendBytes(bytes);
    }
  }

  async #allowed(viewer: string, subject: string): Promise<boolean> {
    const key = `${viewer}\u0000${subject}`;
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.allowed;
    let allowed = false;
    try {
      allowed = await this.#chat.canSeePresence(viewer, subject);
    } catch (error) {
      this.#logger.warn('presence: visibility check failed', { error: describe(error) });
      return false;
    }
    if (this.#cache.size >= MAX_CACHE) this.#cache.clear();
    this.#cache.set(key, { allowed, until: now + this.#limits.presenceCacheMs });
    return allowed;
  }
}

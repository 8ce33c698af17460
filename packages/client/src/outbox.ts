import type { AnyParamsOf } from '@parley/protocol';

/** Parameters of the `send` operation (clientId included). */
export type SendParams = AnyParamsOf<'send'>;

/** A message the user sent that the server has not acknowledged yet. Items are immutable; changes replace them. */
export interface OutboxItem {
  /** The idempotency key: the server turns a retry with the same clientId into the original message. */
  clientId: string;
  conversationId: string;
  /** What `send` is called with. */
  params: SendParams;
  /** `sending`: will be (re)tried; `failed`: gave up, see `resend`. */
  status: 'sending' | 'failed';
  /** Attempts made so far, every kind of failure included. */
  attempts: number;
  /**
   * Failures that count towards `maxSendAttempts`: those whose outcome is uncertain (`INTERNAL`,
   * an unknown error). Transient failures (`UNAVAILABLE`, `TIMEOUT`, `DISCONNECTED`,
   * `RATE_LIMITED`, anything with `retryAfterMs`) never count.
   */
  failures: number;
  /** When the user sent it (ms since epoch, local clock). */
  createdAt: number;
  /**
   * The user who wrote it. The client sends an item only on a connection authenticated as this
   * user. `null` only in memory, for a message written before the client knew its user (no
   * `userId` option, not yet authenticated): such an item is never saved, and is bound to the
   * user of the client's first authentication.
   */
  userId: string | null;
  /** Why it failed, for `failed` items. */
  error: { code: string; message: string } | null;
}

/**
 * Where the outbox survives a page reload or a process restart, kept per user: several users
 * may sign in one after another on the same storage (a shared browser), and each user's list is
 * theirs alone.
 *
 * - `load(userId)` MUST return the list last saved for `userId` (or `[]`), and never the items of
 *   another user. The client calls it when it learns its user (the `userId` option, or the
 *   first authentication as that user), and drops any item whose `userId` is not `userId`.
 * - `save(userId, items)` is called after every change with that user's complete list: it MUST
 *   replace that user's list, not append, and MUST leave other users' lists untouched. An empty
 *   list may remove the user's entry.
 *
 * Implementations SHOULD NOT throw; a failing `load` or `save` is reported on the client's `error` event.
 */
export interface OutboxStorage {
  load(userId: string): Promise<OutboxItem[]>;
  save(userId: string, items: readonly OutboxItem[]): Promise<void>;
}

/** The default: kept in memory (per user), lost when the process ends. */
export function memoryOutbox(): OutboxStorage {
  const saved = new Map<string, OutboxItem[]>();
  return {
    load: async (userId) => (saved.get(userId) ?? []).slice(),
    save: async (userId, items) => {
      if (items.length === 0) saved.delete(userId);
      else saved.set(userId, items.slice());
    },
  };
}

/** A stored item of `userId` (older shapes get the fields they lack). */
function itemOf(value: unknown, userId: string): OutboxItem[] {
  const v = value as Partial<OutboxItem> | null;
  if (typeof v !== 'object' || v === null || typeof v.clientId !== 'string' || typeof v.conversationId !== 'string' || typeof v.params !== 'object') return [];
  if (v.userId !== userId) return [];
  return [{ ...(v as OutboxItem), attempts: Number(v.attempts) || 0, failures: Number(v.failures) || 0 }];
}

/** Keep only well-formed items that belong to `userId`. */
export function itemsOf(value: unknown, userId: string): OutboxItem[] {
  return Array.isArray(value) ? value.flatMap((v) => itemOf(v, userId)) : [];
}

/** The `localStorage` methods {@link localStorageOutbox} uses; the browser's `Storage` fits. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * An IndexedDB factory for {@link indexedDbOutbox}: the browser's `indexedDB` (an `IDBFactory`) or a
 * test double of it. Typed by the one method it must have, so the package's types need no DOM lib.
 */
export interface IndexedDbFactoryLike {
  open(name: string, version?: number): unknown;
}

/**
 * Keep the outbox in `localStorage`, one entry per user under `key + ':' + encodeURIComponent(userId)`
 * (browsers). `localStorage` is only touched when `load`/`save` run, so creating it during SSR is
 * safe. Pass a `Storage` to use another one.
 */
export function localStorageOutbox(key = 'parley.outbox', storage?: StorageLike): OutboxStorage {
  const store = () => storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  const entry = (userId: string) => `${key}:${encodeURIComponent(userId)}`;
  return {
    async load(userId) {
      const raw = store()?.getItem(entry(userId));
      if (!raw) return [];
      try {
        return itemsOf(JSON.parse(raw) as unknown, userId);
      } catch {
        return [];
      }
    },
    async save(userId, items) {
      const s = store();
      if (!s) return;
      if (items.length === 0) s.removeItem(entry(userId));
      else s.setItem(entry(userId), JSON.stringify(items));
    },
  };
}

/**
 * Keep the outbox in IndexedDB, database `name`, one object store `outbox` holding each user's
 * list under the key `['items', userId]` (browsers). IndexedDB is only opened when `load`/`save` first run.
 */
export function indexedDbOutbox(name = 'parley', factory?: IndexedDbFactoryLike): OutboxStorage {
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const idb = (factory ?? (globalThis as { indexedDB?: IndexedDbFactoryLike }).indexedDB) as IDBFactory | undefined;
      if (!idb) return reject(new Error('indexedDB is not available here'));
      const req = idb.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('outbox');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return db;
  };
  const run = <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) =>
    open().then(
      (d) =>
        new Promise<T>((resolve, reject) => {
          const req = fn(d.transaction('outbox', mode).objectStore('outbox'));
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        }),
    );
  return {
    async load(userId) {
      return itemsOf(await run<unknown>('readonly', (s) => s.get(['items', userId])), userId);
    },
    async save(userId, items) {
      if (items.length === 0) await run('readwrite', (s) => s.delete(['items', userId]));
      else await run('readwrite', (s) => s.put(JSON.parse(JSON.stringify(items)) as unknown, ['items', userId]));
    },
  };
}

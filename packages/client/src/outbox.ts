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
  /** Attempts made so far. */
  attempts: number;
  /** When the user sent it (ms since epoch, local clock). */
  createdAt: number;
  /** The user it was sent as; null until the first authentication. Items of another user are dropped. */
  userId: string | null;
  /** Why it failed, for `failed` items. */
  error: { code: string; message: string } | null;
}

/**
 * Where the outbox survives a page reload or a process restart. `load` is called once when the
 * client starts; `save` after every change with the complete list (it MUST replace, not append).
 * Implementations SHOULD NOT throw; a failing `save` is reported on the client's `error` event.
 */
export interface OutboxStorage {
  load(): Promise<OutboxItem[]>;
  save(items: readonly OutboxItem[]): Promise<void>;
}

/** The default: kept in memory, lost when the process ends. */
export function memoryOutbox(): OutboxStorage {
  let saved: OutboxItem[] = [];
  return {
    load: async () => saved.slice(),
    save: async (items) => {
      saved = items.slice();
    },
  };
}

function isItem(value: unknown): value is OutboxItem {
  const v = value as Partial<OutboxItem> | null;
  return typeof v === 'object' && v !== null && typeof v.clientId === 'string' && typeof v.conversationId === 'string' && typeof v.params === 'object';
}

/**
 * Keep the outbox in `localStorage` under `key` (browsers). `localStorage` is only touched when
 * `load`/`save` run, so creating it during SSR is safe. Pass a `Storage` to use another one.
 */
export function localStorageOutbox(key = 'parley.outbox', storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): OutboxStorage {
  const store = () => storage ?? (globalThis as { localStorage?: Storage }).localStorage;
  return {
    async load() {
      const raw = store()?.getItem(key);
      if (!raw) return [];
      try {
        const parsed = JSON.parse(raw) as unknown;
        return Array.isArray(parsed) ? parsed.filter(isItem) : [];
      } catch {
        return [];
      }
    },
    async save(items) {
      const s = store();
      if (!s) return;
      if (items.length === 0) s.removeItem(key);
      else s.setItem(key, JSON.stringify(items));
    },
  };
}

/**
 * Keep the outbox in IndexedDB, database `name`, one object store `outbox` holding the list under
 * one key (browsers). IndexedDB is only opened when `load`/`save` first run.
 */
export function indexedDbOutbox(name = 'parley', factory?: IDBFactory): OutboxStorage {
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const idb = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
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
    async load() {
      const value = await run<unknown>('readonly', (s) => s.get('items'));
      return Array.isArray(value) ? value.filter(isItem) : [];
    },
    async save(items) {
      await run('readwrite', (s) => s.put(JSON.parse(JSON.stringify(items)) as unknown, 'items'));
    },
  };
}

import type { IndexedDbFactoryLike } from '../outbox.js';
import type { OfflineStorage } from './storage.js';

/** Options of {@link indexedDbCacheStorage}. */
export interface IndexedDbCacheOptions {
  /** Prefix of the database names: one database per namespace, `prefix + ':' + encodeURIComponent(namespace)`. Default `parley-cache`. */
  prefix?: string;
  /** The IndexedDB factory. Default: `globalThis.indexedDB` (browsers). */
  indexedDB?: IndexedDbFactoryLike;
}

/**
 * An {@link OfflineStorage} on IndexedDB: one database per namespace (per user) with one object
 * store `records`; every `put` is one transaction, so it lands all or nothing. IndexedDB is only
 * opened when the cache first reads or writes, so creating it during SSR is safe.
 */
export function indexedDbCacheStorage(options: IndexedDbCacheOptions = {}): OfflineStorage {
  const prefix = options.prefix ?? 'parley-cache';
  const dbs = new Map<string, Promise<IDBDatabase>>();
  const open = (namespace: string): Promise<IDBDatabase> => {
    let db = dbs.get(namespace);
    if (!db) {
      db = new Promise<IDBDatabase>((resolve, reject) => {
        const idb = (options.indexedDB ?? (globalThis as { indexedDB?: IndexedDbFactoryLike }).indexedDB) as IDBFactory | undefined;
        if (!idb) return reject(new Error('indexedDB is not available here'));
        const req = idb.open(`${prefix}:${encodeURIComponent(namespace)}`, 1);
        req.onupgradeneeded = () => req.result.createObjectStore('records');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      db.catch(() => dbs.delete(namespace));
      dbs.set(namespace, db);
    }
    return db;
  };
  const tx = <T>(namespace: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> =>
    open(namespace).then(
      (d) =>
        new Promise<T | undefined>((resolve, reject) => {
          const t = d.transaction('records', mode);
          const req = fn(t.objectStore('records'));
          t.oncomplete = () => resolve(req ? req.result : undefined);
          t.onerror = () => reject(t.error);
          t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
        }),
    );
  return {
    async get(namespace, key) {
      const v = await tx<unknown>(namespace, 'readonly', (s) => s.get(key));
      return typeof v === 'string' ? v : undefined;
    },
    async put(namespace, entries) {
      await tx(namespace, 'readwrite', (s) => {
        for (const [k, v] of entries) s.put(v, k);
      });
    },
    async delete(namespace, keys) {
      await tx(namespace, 'readwrite', (s) => {
        for (const k of keys) s.delete(k);
      });
    },
    async keys(namespace) {
      return ((await tx<IDBValidKey[]>(namespace, 'readonly', (s) => s.getAllKeys())) ?? []).filter((k): k is string => typeof k === 'string');
    },
    async clear(namespace) {
      await tx(namespace, 'readwrite', (s) => s.clear());
    },
  };
}

/**
 * Where an offline cache keeps its records: string values under string keys, in namespaces. The
 * cache uses one namespace per user, so another user who signs in on the same browser never
 * reads them. Implement it to keep the cache somewhere else (a file, SQLite, React Native storage).
 *
 * - A namespace MUST never see another namespace's records: `get`, `keys` and `clear` of one
 *   namespace read or remove nothing of another.
 * - `get(ns, key)` MUST return the value last written under `key` by a completed `put`, or
 *   `undefined`.
 * - `put(ns, entries)` writes every entry. It SHOULD write them all or none (IndexedDB: one
 *   transaction); when it cannot, it MAY leave any subset written — the cache discards what does
 *   not hold together, and the client fetches it again.
 * - `delete(ns, keys)` removes those keys (absent ones are ignored).
 * - `keys(ns)` lists every key of the namespace.
 * - `clear(ns)` removes every record of the namespace; nothing of it is readable afterwards.
 *
 * Failures reject; the client reports them on its `error` event and keeps going without the cache.
 */
export interface OfflineStorage {
  get(namespace: string, key: string): Promise<string | undefined>;
  put(namespace: string, entries: ReadonlyArray<readonly [key: string, value: string]>): Promise<void>;
  delete(namespace: string, keys: readonly string[]): Promise<void>;
  keys(namespace: string): Promise<string[]>;
  clear(namespace: string): Promise<void>;
}

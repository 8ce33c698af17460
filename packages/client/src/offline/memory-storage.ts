import type { OfflineStorage } from './storage.js';

/** An {@link OfflineStorage} in memory (Node, tests): lost when the process ends. Writes are atomic. */
export function memoryCacheStorage(): OfflineStorage & { readonly namespaces: ReadonlyMap<string, ReadonlyMap<string, string>> } {
  const namespaces = new Map<string, Map<string, string>>();
  const ns = (name: string) => {
    let m = namespaces.get(name);
    if (!m) namespaces.set(name, (m = new Map()));
    return m;
  };
  return {
    namespaces,
    get: async (namespace, key) => namespaces.get(namespace)?.get(key),
    put: async (namespace, entries) => {
      const m = ns(namespace);
      for (const [k, v] of entries) m.set(k, v);
    },
    delete: async (namespace, keys) => {
      for (const k of keys) namespaces.get(namespace)?.delete(k);
    },
    keys: async (namespace) => [...(namespaces.get(namespace)?.keys() ?? [])],
    clear: async (namespace) => void namespaces.delete(namespace),
  };
}

/**
 * Who is connected, across every server. The transport registers connections; the engine asks
 * who is online. The in-memory registry serves one process; `@parley/pubsub-redis` ships one for many.
 *
 * Contract: `connect` and `disconnect` for the same connection id are idempotent; `disconnect`
 * reports `nowOffline: true` exactly when the user's last connection (on any server) went away.
 */
export interface PresenceRegistry {
  /** Register a connection. `nowOnline` is true when it is the user's first. */
  connect(input: { userId: string; connectionId: string }): Promise<{ nowOnline: boolean }>;
  /** Unregister a connection. `nowOffline` is true when it was the user's last. */
  disconnect(input: { userId: string; connectionId: string }): Promise<{ nowOffline: boolean }>;
  /** The subset of `userIds` that has at least one connection. */
  online(userIds: string[]): Promise<Set<string>>;
}

/** Presence for a single process. */
export function createMemoryPresence(): PresenceRegistry {
  const connections = new Map<string, Set<string>>();
  return {
    async connect({ userId, connectionId }) {
      let set = connections.get(userId);
      const nowOnline = !set || set.size === 0;
      if (!set) connections.set(userId, (set = new Set()));
      set.add(connectionId);
      return { nowOnline };
    },
    async disconnect({ userId, connectionId }) {
      const set = connections.get(userId);
      if (!set || !set.delete(connectionId)) return { nowOffline: false };
      if (set.size > 0) return { nowOffline: false };
      connections.delete(userId);
      return { nowOffline: true };
    },
    async online(userIds) {
      return new Set(userIds.filter((id) => (connections.get(id)?.size ?? 0) > 0));
    },
  };
}

/**
 * Who is connected, across every server. The transport registers connections; the engine asks
 * who is online. The in-memory registry serves one process; `@parley/pubsub-redis` ships one for many.
 *
 * Contract: `connect` and `disconnect` for the same connection id are idempotent; `disconnect`
 * reports `nowOffline: true` exactly when the user's last connection (on any server) went away.
 * A registry that reports `connections` from `connect` MUST count every live connection of the user
 * on every server that shares it, the new one included, read atomically with the registration: of
 * N concurrent connects of one user, the k-th to register sees k. The WebSocket transport enforces
 * `maxConnectionsPerUser` against that count (across nodes); without it, only per server.
 */
export interface PresenceRegistry {
  /**
   * Register a connection. `nowOnline` is true when it is the user's first. `connections`, when the
   * registry reports it, is the user's live connections everywhere after this one registered.
   */
  connect(input: { userId: string; connectionId: string }): Promise<PresenceConnectResult>;
  /** Unregister a connection. `nowOffline` is true when it was the user's last. */
  disconnect(input: { userId: string; connectionId: string }): Promise<{ nowOffline: boolean }>;
  /** The subset of `userIds` that has at least one connection. */
  online(userIds: string[]): Promise<Set<string>>;
}

/** Answer of {@link PresenceRegistry.connect}. */
export interface PresenceConnectResult {
  /** True when this is the user's first live connection anywhere. */
  nowOnline: boolean;
  /** The user's live connections on every server, this one included. Optional: see the contract. */
  connections?: number;
}

/** Presence for a single process. */
export function createMemoryPresence(): PresenceRegistry {
  // a user's connection id, or a set of them when there are several (most users have one)
  const connections = new Map<string, string | Set<string>>();
  return {
    async connect({ userId, connectionId }) {
      const current = connections.get(userId);
      if (current === undefined) {
        connections.set(userId, connectionId);
        return { nowOnline: true, connections: 1 };
      }
      if (typeof current !== 'string') {
        current.add(connectionId);
        return { nowOnline: false, connections: current.size };
      }
      if (current === connectionId) return { nowOnline: false, connections: 1 };
      connections.set(userId, new Set([current, connectionId]));
      return { nowOnline: false, connections: 2 };
    },
    async disconnect({ userId, connectionId }) {
      const current = connections.get(userId);
      if (current === undefined) return { nowOffline: false };
      if (typeof current === 'string') {
        if (current !== connectionId) return { nowOffline: false };
        connections.delete(userId);
        return { nowOffline: true };
      }
      if (!current.delete(connectionId)) return { nowOffline: false };
      if (current.size === 1) connections.set(userId, current.values().next().value!);
      return { nowOffline: false };
    },
    async online(userIds) {
      return new Set(userIds.filter((id) => connections.has(id)));
    },
  };
}

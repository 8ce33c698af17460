import { useEffect } from 'react';
import type { PresenceSnapshot } from '@parley/client';
import { useParleyClient } from './provider.js';
import { usePresenceMap } from './state-hooks.js';

/** A user's presence. */
export type Presence = PresenceSnapshot[string];

/**
 * One user's presence (`{ online, lastSeenAt }`), or null until it is known. On mount it asks the
 * server once (`client.api.presence`, which also subscribes the connection to that user's
 * changes); pass `{ fetch: false }` when something else already did. A failed fetch leaves null:
 * presence is a hint, and a blocked user's presence is never shown.
 */
export function usePresence(userId: string, options: { fetch?: boolean } = {}): Presence | null {
  const client = useParleyClient();
  const fetch = options.fetch ?? true;
  useEffect(() => {
    if (client && fetch) client.api.presence({ userIds: [userId] }).catch(() => {});
  }, [client, userId, fetch]);
  return usePresenceMap((presence) => presence[userId] ?? null);
}

import { topics, type Chat } from '@parley/core';
import type { ExpiredListener } from './redis-presence.js';

/**
 * The `onExpired` listener that does for a user whose server died what `chat.disconnect` does for a
 * last connection that closed normally: store lastSeenAt and publish the offline presence.
 *
 * ```ts
 * presence.onExpired(announceExpired(chat));
 * ```
 */
export function announceExpired(chat: Pick<Chat, 'store' | 'pubsub'>): ExpiredListener {
  return async (userId, lastSeenAt) => {
    await chat.store.setLastSeen({ userId, at: lastSeenAt });
    await chat.pubsub.publish(topics.presence(userId), { t: 'presence', presence: { userId, online: false, lastSeenAt } });
  };
}

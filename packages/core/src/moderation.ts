import type { ConversationEvent, ModerationState, Restriction, RestrictionKind } from '@parley/protocol';

/** A `moderation` event. */
export type ModerationEventOf = Extract<ConversationEvent, { type: 'moderation' }>;

/** What a `moderation` event changes; every store applies exactly this (see `ChatStore.append`). */
export interface ModerationEffect {
  /** Store this restriction (replacing one of the same conversation, user and kind). */
  put?: Restriction;
  /** Remove the restriction of this user and kind. */
  lift?: { userId: string; kind: RestrictionKind };
  /** The conversation's new moderation state. */
  state?: ModerationState;
}

/** The effect of a moderation event on a conversation whose moderation state is `current`. */
export function moderationEffect(event: ModerationEventOf, current: ModerationState | undefined): ModerationEffect {
  const base: ModerationState = current ?? { frozen: false, slowModeMs: null };
  const userId = event.userId ?? '';
  const restriction = (kind: RestrictionKind): Restriction => ({
    conversationId: event.conversationId,
    userId,
    kind,
    until: event.until ?? null,
    reason: event.reason,
    actorId: event.actorId,
    at: event.at,
  });
  switch (event.action) {
    case 'ban':
      return { put: restriction('ban') };
    case 'mute':
      return { put: restriction('mute') };
    case 'unban':
      return { lift: { userId, kind: 'ban' } };
    case 'unmute':
      return { lift: { userId, kind: 'mute' } };
    case 'freeze':
    case 'unfreeze':
      return { state: { ...base, frozen: event.action === 'freeze' } };
    case 'slowMode':
      return { state: { ...base, slowModeMs: event.slowModeMs ?? null } };
  }
}

/** True when the restriction is in force at `now`. */
export const inForce = (r: Pick<Restriction, 'until'>, now: number): boolean => r.until === null || r.until > now;

/** {@link ChatStore.restrictions} over an in-memory list of one conversation's restrictions. */
export function restrictionsPage(
  list: readonly Restriction[],
  query: { userIds?: string[]; kind?: RestrictionKind; after?: { userId: string; kind: RestrictionKind }; limit: number },
): Restriction[] {
  return list
    .filter((r) => (query.userIds === undefined || query.userIds.includes(r.userId)) && (query.kind === undefined || r.kind === query.kind))
    .filter((r) => query.after === undefined || r.userId > query.after.userId || (r.userId === query.after.userId && r.kind > query.after.kind))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
    .slice(0, query.limit);
}

import type { User } from '@parley/protocol';
import type { EngineContext } from './context.js';

/**
 * The one visibility rule for presence data (online state and `lastSeenAt`): `viewer` may see
 * `target`'s presence when it is the same user, or a contact of the viewer, or a peer in a
 * conversation they share, and neither has blocked the other.
 */
export async function canSeePresence(ctx: EngineContext, viewer: string, target: string): Promise<boolean> {
  if (viewer === target) return true;
  if (await ctx.store.isBlockedEitherWay(viewer, target)) return false;
  if (await ctx.store.getContact(viewer, target)) return true;
  return ctx.store.sharesConversation(viewer, target);
}

/**
 * Users as `viewer` may see them: the profile as stored, with `lastSeenAt` set to null for every
 * user whose presence {@link canSeePresence} hides from the viewer. Every path that lets a `User`
 * leave the server (replies, pushes, inbox and sync peers) MUST pass it through here.
 */
export async function usersAsSeenBy(ctx: EngineContext, viewer: string, users: readonly User[]): Promise<User[]> {
  const visible = await Promise.all(users.map((u) => (u.lastSeenAt === null ? true : canSeePresence(ctx, viewer, u.id))));
  return users.map((u, i) => (visible[i] ? u : { ...u, lastSeenAt: null }));
}

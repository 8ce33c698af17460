import type { Contact, Presence } from '@parley/protocol';
import { publish } from '../context.js';
import { errors } from '../errors.js';
import { topics } from '../pubsub.js';
import { requireUser } from '../rules.js';
import type { EngineContext } from '../context.js';
import type { Handlers } from './types.js';

/** True when `viewer` may see `target`'s presence: a contact or a peer in a shared conversation, and no block either way. */
export async function canSeePresence(ctx: EngineContext, viewer: string, target: string): Promise<boolean> {
  if (viewer === target) return true;
  if (await ctx.store.isBlockedEitherWay(viewer, target)) return false;
  if (await ctx.store.getContact(viewer, target)) return true;
  return ctx.store.sharesConversation(viewer, target);
}

async function announceContact(ctx: EngineContext, contact: Contact, removed: boolean) {
  await publish(ctx, topics.user(contact.ownerId), { t: 'push', userId: contact.ownerId, push: { ev: 'contact', contact, removed } });
}

async function otherUser(ctx: EngineContext, actor: string, userId: string) {
  if (userId === actor) throw errors.invalid('userId must be another user');
  return requireUser(ctx, userId);
}

/** Profile, users, presence and contacts. */
export const userHandlers: Handlers<
  'me' | 'updateProfile' | 'getUsers' | 'searchUsers' | 'presence' | 'listContacts' | 'setContact' | 'removeContact' | 'block' | 'unblock'
> = {
  async me(ctx, actor) {
    return requireUser(ctx, actor, 'acting user');
  },
  async updateProfile(ctx, actor, p) {
    await requireUser(ctx, actor, 'acting user');
    if (Object.keys(p).length === 0) throw errors.invalid('nothing to change');
    return ctx.store.upsertUser({ id: actor, ...p, now: ctx.clock.now() });
  },
  async getUsers(ctx, _actor, p) {
    return ctx.store.getUsers([...new Set(p.ids)]);
  },
  async searchUsers(ctx, _actor, p) {
    return ctx.store.searchUsers({ query: p.query, limit: p.limit ?? ctx.limits.defaultPageSize });
  },
  async presence(ctx, actor, p) {
    const ids = [...new Set(p.userIds)];
    const visible: string[] = [];
    for (const id of ids) if (await canSeePresence(ctx, actor, id)) visible.push(id);
    if (visible.length === 0) return [];
    const [users, online] = await Promise.all([ctx.store.getUsers(visible), ctx.presence.online(visible)]);
    return users.map((u): Presence => ({ userId: u.id, online: online.has(u.id), lastSeenAt: u.lastSeenAt }));
  },
  async listContacts(ctx, actor) {
    return ctx.store.listContacts(actor);
  },
  async setContact(ctx, actor, p) {
    await otherUser(ctx, actor, p.userId);
    const contact = await ctx.store.putContact({ ownerId: actor, userId: p.userId, alias: p.alias ?? null, now: ctx.clock.now() });
    await announceContact(ctx, contact, false);
    return contact;
  },
  async removeContact(ctx, actor, p) {
    const existing = await ctx.store.getContact(actor, p.userId);
    const removed = await ctx.store.removeContact({ ownerId: actor, userId: p.userId });
    if (existing && removed) await announceContact(ctx, existing, true);
    return { removed };
  },
  async block(ctx, actor, p) {
    await otherUser(ctx, actor, p.userId);
    const contact = await ctx.store.putContact({ ownerId: actor, userId: p.userId, blocked: true, now: ctx.clock.now() });
    await announceContact(ctx, contact, false);
    return contact;
  },
  async unblock(ctx, actor, p) {
    await otherUser(ctx, actor, p.userId);
    const contact = await ctx.store.putContact({ ownerId: actor, userId: p.userId, blocked: false, now: ctx.clock.now() });
    await announceContact(ctx, contact, false);
    return contact;
  },
};

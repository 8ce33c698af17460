import type { Contact, Presence } from '@parley/protocol';
import { publish } from '../context.js';
import { errors } from '../errors.js';
import { topics } from '../pubsub.js';
import { requireUser } from '../rules.js';
import type { EngineContext } from '../context.js';
import { canSeePresence, usersAsSeenBy } from '../user-view.js';
import type { Handlers } from './types.js';

export { canSeePresence };

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
    const [me] = await usersAsSeenBy(ctx, actor, [await requireUser(ctx, actor, 'acting user')]);
    return me!;
  },
  async updateProfile(ctx, actor, p) {
    await requireUser(ctx, actor, 'acting user');
    if (Object.keys(p).length === 0) throw errors.invalid('nothing to change');
    const [me] = await usersAsSeenBy(ctx, actor, [await ctx.store.upsertUser({ id: actor, ...p, now: ctx.clock.now() })]);
    return me!;
  },
  async getUsers(ctx, actor, p) {
    return usersAsSeenBy(ctx, actor, await ctx.store.getUsers([...new Set(p.ids)]));
  },
  async searchUsers(ctx, actor, p) {
    return usersAsSeenBy(ctx, actor, await ctx.store.searchUsers({ query: p.query, limit: p.limit ?? ctx.limits.defaultPageSize }));
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

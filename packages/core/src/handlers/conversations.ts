import { erasureOf } from '../lifecycle/erase.js';
import type { ConversationEvent, Permission, Role } from '@parley/protocol';
import { publicMember } from '../apply.js';
import { announceInBackground, commit, publicConversation, publish, type EngineContext } from '../context.js';
import { decodeCursor, encodeCursor, shape } from '../cursor.js';
import { errors } from '../errors.js';
import { topics } from '../pubsub.js';
import { isRefusal } from '../preconditions.js';
import { actorHolds, audited, authorize, memberHolds, permissionPrecondition, resolveActor } from '../authorize.js';
import { metadataBytes, takeQuota } from '../quotas.js';
import { requireActive, requireUser, type Access } from '../rules.js';
import type { AppendInput, CreateConversationInput, MemberRecord } from '../store.js';
import type { Handlers } from './types.js';
import { conversationAsSeen } from '../former-view.js';
import { withinBudget } from '../reply-budget.js';

async function create(ctx: EngineContext, input: Omit<CreateConversationInput, 'id' | 'now'>) {
  const now = ctx.clock.now();
  const full: CreateConversationInput = { ...input, id: ctx.ids.next(), now };
  const { conversation, created } = await ctx.store.createConversation(full);
  if (created) {
    const event: ConversationEvent = {
      type: 'conversation.created',
      conversationId: conversation.id,
      seq: 1,
      actorId: input.createdBy,
      at: now,
      kind: input.kind,
      title: input.title,
      members: input.members,
    };
    await announceInBackground(ctx, event, conversation);
  }
  return publicConversation(conversation);
}

async function unknownUsers(ctx: EngineContext, ids: string[]): Promise<void> {
  // an erased user is gone for everyone: no new conversations or memberships with them
  const found = new Set((await ctx.store.getUsers(ids)).filter((u) => !erasureOf(u)).map((u) => u.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw errors.notFound(`users not found: ${missing.slice(0, 10).map((id) => JSON.stringify(id)).join(', ')}`);
}

/**
 * Append `member.joined` with the given preconditions. When the user became active meanwhile
 * (another device's join, another admin's add), that is the outcome asked for: return their row.
 */
async function join(
  ctx: EngineContext,
  conversationId: string,
  actor: string,
  userId: string,
  role: Role,
  pre: Omit<AppendInput, 'draft'> = {},
): Promise<MemberRecord> {
  try {
    await commit(ctx, { draft: { type: 'member.joined', conversationId, actorId: actor, at: ctx.clock.now(), userId, role }, ...pre });
  } catch (error) {
    if (!isRefusal(error, 'already-member')) throw error;
  }
  return (await ctx.store.getMember(conversationId, userId))!;
}

/**
 * Preconditions of an action on another member that needs `needed`: the actor holds it at commit,
 * and (the rank rule) anyone but an owner acts only on plain members.
 */
function managerPreconditions(ctx: EngineContext, access: Access, actor: string, subject: string, needed: Permission): Omit<AppendInput, 'draft'> {
  return {
    ...permissionPrecondition(ctx, actor, [needed]),
    ...(access.member.role !== 'owner' && subject !== actor ? { subjectRoles: ['member'] as const } : {}),
  };
}

/** Membership changes are never possible in direct conversations; elsewhere the actor needs `needed`. */
function requireGrant(ctx: EngineContext, access: Access, needed: Permission, what: string): void {
  if (access.conversation.kind === 'direct') throw errors.forbidden(`${what} is not possible in a direct conversation`);
  if (!memberHolds(ctx, access, [needed])) throw errors.forbidden(`your role cannot ${what}`);
}

/** The member that should become owner when the last owner leaves: the longest-standing admin, else member. */
function successor(members: MemberRecord[], leaving: string): MemberRecord | undefined {
  const rank = (r: Role) => (r === 'admin' ? 0 : 1);
  return members
    .filter((m) => m.userId !== leaving)
    .sort((a, b) => rank(a.role) - rank(b.role) || a.joinSeq - b.joinSeq || (a.userId < b.userId ? -1 : 1))[0];
}

async function allMembers(ctx: EngineContext, conversationId: string): Promise<MemberRecord[]> {
  const out: MemberRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await ctx.store.listMembers({ conversationId, limit: 500, ...(after !== undefined ? { afterUserId: after } : {}) });
    out.push(...page);
    if (page.length < 500) return out;
    after = page[page.length - 1]!.userId;
  }
}

/** Creating conversations and managing membership. */
export const conversationHandlers: Handlers<
  | 'openDirect'
  | 'createGroup'
  | 'createChannel'
  | 'getConversation'
  | 'listMembers'
  | 'addMembers'
  | 'removeMember'
  | 'setRole'
  | 'leave'
  | 'join'
  | 'updateConversation'
  | 'mute'
  | 'listChannels'
> = {
  async openDirect(ctx, actor, p) {
    if (p.userId === actor) throw errors.invalid('userId must be another user');
    await Promise.all([requireUser(ctx, actor, 'acting user'), requireUser(ctx, p.userId)]);
    const pair = [actor, p.userId].sort() as [string, string];
    const existing = await ctx.store.findDirect(pair);
    if (existing) return publicConversation(existing);
    return create(ctx, {
      kind: 'direct',
      title: null,
      avatarUrl: null,
      createdBy: actor,
      metadata: {},
      directPair: pair,
      members: pair.map((userId) => ({ userId, role: 'member' as const })),
    });
  },
  async createGroup(ctx, actor, p) {
    await requireUser(ctx, actor, 'acting user');
    const others = [...new Set(p.memberIds ?? [])].filter((id) => id !== actor);
    if (others.length + 1 > ctx.limits.maxGroupMembers) throw errors.invalid(`a group has at most ${ctx.limits.maxGroupMembers} members`);
    if (others.length > 0) await unknownUsers(ctx, others);
    await takeQuota(ctx, actor, { conversationsCreated: 1, membersAdded: others.length, metadataBytes: metadataBytes(p.metadata) });
    return create(ctx, {
      kind: 'group',
      title: p.title,
      avatarUrl: p.avatarUrl ?? null,
      createdBy: actor,
      metadata: p.metadata ?? {},
      directPair: [],
      members: [{ userId: actor, role: 'owner' }, ...others.map((userId) => ({ userId, role: 'member' as const }))],
    });
  },
  async createChannel(ctx, actor, p) {
    await requireUser(ctx, actor, 'acting user');
    await takeQuota(ctx, actor, { conversationsCreated: 1, metadataBytes: metadataBytes(p.metadata) });
    return create(ctx, {
      kind: 'channel',
      title: p.title,
      avatarUrl: p.avatarUrl ?? null,
      createdBy: actor,
      metadata: p.metadata ?? {},
      directPair: [],
      members: [{ userId: actor, role: 'owner' }],
    });
  },
  async getConversation(ctx, actor, p) {
    const [conversation, member] = await Promise.all([ctx.store.getConversation(p.conversationId), ctx.store.getMember(p.conversationId, actor)]);
    if (!conversation || (!member && conversation.kind !== 'channel')) throw errors.noConversation();
    const seen = await conversationAsSeen(ctx.store, conversation, member);
    return { conversation: publicConversation(seen, member), member: member ? publicMember(member) : null };
  },
  async listMembers(ctx, actor, p) {
    await requireActive(ctx, p.conversationId, actor);
    const after = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ u: string }>({ u: 'string' })).u;
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const rows = await ctx.store.listMembers({ conversationId: p.conversationId, limit, ...(after !== undefined ? { afterUserId: after } : {}) });
    const page = withinBudget(rows.map(publicMember), ctx.limits.maxReplyBytes);
    const last = page.items[page.items.length - 1];
    return { items: page.items, nextCursor: (page.cut || rows.length === limit) && last ? encodeCursor({ u: last.userId }) : null };
  },
  async addMembers(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    requireGrant(ctx, access, 'addMembers', 'add members');
    const ids = [...new Set(p.userIds)];
    await unknownUsers(ctx, ids);
    const group = access.conversation.kind === 'group';
    if (group && access.conversation.memberCount + ids.length > ctx.limits.maxGroupMembers) {
      throw errors.invalid(`a group has at most ${ctx.limits.maxGroupMembers} members`);
    }
    await takeQuota(ctx, actor, { membersAdded: ids.length });
    // each join is checked by the store: the actor still a manager, the group still under its limit
    const pre = { ...permissionPrecondition(ctx, actor, ['addMembers']), moderated: 'join' as const, ...(group ? { maxMembers: ctx.limits.maxGroupMembers } : {}) };
    const out = [];
    for (const userId of ids) {
      const existing = await ctx.store.getMember(p.conversationId, userId);
      out.push(existing && existing.leftSeq === null ? existing : await join(ctx, p.conversationId, actor, userId, 'member', pre));
    }
    return out.map(publicMember);
  },
  async removeMember(ctx, actor, p) {
    const who = await resolveActor(ctx, p.conversationId, actor);
    if (who.conversation.kind === 'direct') throw errors.forbidden('remove members is not possible in a direct conversation');
    if (!actorHolds(ctx, who, ['removeMembers'])) {
      if (!who.member || who.member.leftSeq !== null) throw errors.forbidden('you are no longer a member of this conversation');
      throw errors.forbidden('your role cannot remove members');
    }
    if (p.userId === actor) throw errors.invalid('use leave to leave a conversation');
    const target = await ctx.store.getMember(p.conversationId, p.userId);
    if (!target || target.leftSeq !== null) throw errors.notFound('not a member');
    const auth = authorize(ctx, who, actor, ['removeMembers'], { op: 'removeMember' }, 'your role cannot remove members');
    // the rank rule binds conversation roles; staff act on anyone (the conversation keeps an owner)
    const rank = auth.audit === null && who.member!.role !== 'owner';
    if (rank && target.role !== 'member') throw errors.forbidden('only owners can remove owners and admins');
    await commit(ctx, {
      draft: { type: 'member.left', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), userId: p.userId, removed: true },
      ...auth.pre,
      ...(rank ? { subjectRoles: ['member'] as const } : {}),
      keepOwner: true,
    });
    audited(ctx, auth);
    return publicMember((await ctx.store.getMember(p.conversationId, p.userId))!);
  },
  async setRole(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    requireGrant(ctx, access, 'changeRoles', 'change roles');
    const target = await ctx.store.getMember(p.conversationId, p.userId);
    if (!target || target.leftSeq !== null) throw errors.notFound('not a member');
    if (access.member.role !== 'owner') {
      // admins manage members; only owners manage admins and ownership (an admin may step down)
      if (target.role === 'owner' || p.role === 'owner') throw errors.forbidden('only owners can grant or take the owner role');
      if (target.role === 'admin' && p.userId !== actor) throw errors.forbidden('only owners can change the role of an admin');
    }
    if (target.role === p.role) return publicMember(target);
    await commit(ctx, {
      draft: { type: 'member.role', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), userId: p.userId, role: p.role },
      ...managerPreconditions(ctx, access, actor, p.userId, 'changeRoles'),
      keepOwner: true,
    });
    return publicMember((await ctx.store.getMember(p.conversationId, p.userId))!);
  },
  async leave(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    if (access.conversation.kind === 'direct') throw errors.forbidden('you cannot leave a direct conversation');
    const leave = () =>
      commit(ctx, {
        draft: { type: 'member.left', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), userId: actor, removed: false },
        keepOwner: true,
      });
    // The store refuses a leave that would take the last owner away, so two owners leaving at once
    // cannot both go: the one refused promotes a successor and tries again.
    for (let attempt = 0; ; attempt++) {
      try {
        await leave();
        break;
      } catch (error) {
        if (!isRefusal(error, 'last-owner') || attempt >= 5) throw error;
      }
      const members = await allMembers(ctx, p.conversationId);
      const next = successor(members, actor);
      if (!next) {
        // the last member: nobody is left to own it, so nothing is taken from anyone
        await commit(ctx, {
          draft: { type: 'member.left', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), userId: actor, removed: false },
        });
        break;
      }
      try {
        await commit(ctx, {
          draft: { type: 'member.role', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), userId: next.userId, role: 'owner' },
          requireActiveMember: actor,
          actorRoles: ['owner'],
        });
      } catch (error) {
        // the successor left meanwhile, or the leaver is no longer owner: look again
        if (!isRefusal(error, 'not-member') && !isRefusal(error, 'actor-role')) throw error;
      }
    }
    return publicMember((await ctx.store.getMember(p.conversationId, actor))!);
  },
  async join(ctx, actor, p) {
    const [conversation, member] = await Promise.all([ctx.store.getConversation(p.conversationId), ctx.store.getMember(p.conversationId, actor)]);
    if (!conversation || (conversation.kind !== 'channel' && !member)) throw errors.noConversation();
    if (conversation.kind !== 'channel') throw errors.forbidden('only channels can be joined freely; ask an admin to add you');
    if (member && member.leftSeq === null) return publicMember(member);
    await requireUser(ctx, actor, 'acting user');
    return publicMember(await join(ctx, p.conversationId, actor, actor, 'member', { moderated: 'join' }));
  },
  async updateConversation(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    const { conversationId, ...changes } = p;
    const needed: Permission[] = changes.permissions === undefined ? ['updateConversation'] : ['updateConversation', 'managePermissions'];
    requireGrant(ctx, access, 'updateConversation', 'change the conversation');
    if (changes.permissions !== undefined) requireGrant(ctx, access, 'managePermissions', 'change the conversation’s grants');
    if (Object.keys(changes).length === 0) throw errors.invalid('nothing to change');
    await takeQuota(ctx, actor, { metadataBytes: metadataBytes(p.metadata) });
    const result = await commit(ctx, {
      draft: { type: 'conversation.updated', conversationId, actorId: actor, at: ctx.clock.now(), changes },
      ...permissionPrecondition(ctx, actor, needed),
    });
    return publicConversation(result.conversation);
  },
  async mute(ctx, actor, p) {
    await requireActive(ctx, p.conversationId, actor);
    const member = await ctx.store.setMuted({ conversationId: p.conversationId, userId: actor, mutedUntil: p.until, now: ctx.clock.now() });
    const pub = publicMember(member!);
    await publish(ctx, topics.user(actor), { t: 'push', userId: actor, push: { ev: 'member', member: pub } });
    return pub;
  },
  async listChannels(ctx, _actor, p) {
    const after = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ c: string }>({ c: 'string' })).c;
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const rows = await ctx.store.listChannels({ limit, ...(p.query ? { query: p.query } : {}), ...(after !== undefined ? { afterId: after } : {}) });
    const page = withinBudget(rows.map((r) => publicConversation(r)), ctx.limits.maxReplyBytes);
    const last = page.items[page.items.length - 1];
    return { items: page.items, nextCursor: (page.cut || rows.length === limit) && last ? encodeCursor({ c: last.id }) : null };
  },
};

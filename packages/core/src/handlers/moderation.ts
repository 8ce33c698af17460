import type { ModerationAction, Permission, Restriction, RestrictionKind } from '@parley/protocol';
import { actorHolds, audited, authorize, resolveActor, type Actor, type Authorization } from '../authorize.js';
import { commit, publicConversation, type EngineContext } from '../context.js';
import { decodeCursor, encodeCursor, shape } from '../cursor.js';
import { errors } from '../errors.js';
import { inForce } from '../moderation.js';
import { isRefusal } from '../preconditions.js';
import { withinBudget } from '../reply-budget.js';
import { requireUser } from '../rules.js';
import type { AppendInput } from '../store.js';
import type { Handlers } from './types.js';

/** The actor, who must hold `needed` here (by conversation role or staff role); never in direct conversations. */
async function moderator(ctx: EngineContext, conversationId: string, actor: string, needed: Permission, op: string, reason: string | undefined) {
  const who = await resolveActor(ctx, conversationId, actor);
  const auth = authorize(ctx, who, actor, [needed], { op, reason: reason ?? null }, `your role cannot ${op} here`);
  if (who.conversation.kind === 'direct') throw errors.forbidden(`${op} is not possible in a direct conversation`);
  return { who, auth };
}

/**
 * The rank rule for actions on another user: anyone acting by a conversation role other than
 * owner acts only on plain members (checked again at commit through `subjectRoles`); nobody bans or
 * mutes an active owner (make them something else first); nobody acts on themselves.
 */
async function onSubject(ctx: EngineContext, who: Actor, auth: Authorization, actor: string, userId: string): Promise<Omit<AppendInput, 'draft'>> {
  if (userId === actor) throw errors.invalid('you cannot do this to yourself');
  const subject = await ctx.store.getMember(who.conversation.id, userId);
  const active = subject !== null && subject.leftSeq === null;
  if (active && subject.role === 'owner') throw errors.forbidden('an owner cannot be banned or muted: change their role first');
  const rank = auth.audit === null && who.member!.role !== 'owner';
  if (rank && active && subject.role !== 'member') throw errors.forbidden('only owners can act on admins');
  return { ...auth.pre, ...(rank ? { subjectRoles: ['member'] as const } : {}) };
}

/** Append one moderation event (the audit trail in the log) and record the app-level audit entry. */
async function moderate(
  ctx: EngineContext,
  auth: Authorization,
  pre: Omit<AppendInput, 'draft'>,
  fields: { conversationId: string; actorId: string; action: ModerationAction; reason: string | undefined; userId?: string; until?: number | null; slowModeMs?: number | null },
) {
  const { reason, ...rest } = fields;
  const result = await commit(ctx, { draft: { type: 'moderation', at: ctx.clock.now(), ...rest, reason: reason ?? null }, ...pre });
  audited(ctx, auth);
  return result;
}

async function current(ctx: EngineContext, conversationId: string, userId: string, kind: RestrictionKind): Promise<Restriction | null> {
  const now = ctx.clock.now();
  const [r] = await ctx.store.restrictions({ conversationId, userIds: [userId], kind, limit: 1 });
  return r && inForce(r, now) ? r : null;
}

const until = (ctx: EngineContext, durationMs: number | null | undefined) => (durationMs == null ? null : ctx.clock.now() + durationMs);

/** Bans, mutes, freeze and slow mode (docs/moderation.md). */
export const moderationHandlers: Handlers<'ban' | 'unban' | 'muteMember' | 'unmuteMember' | 'freeze' | 'setSlowMode' | 'listRestrictions'> = {
  async ban(ctx, actor, p) {
    const { who, auth } = await moderator(ctx, p.conversationId, actor, 'ban', 'ban', p.reason);
    await requireUser(ctx, p.userId);
    const pre = await onSubject(ctx, who, auth, actor, p.userId);
    await moderate(ctx, auth, pre, { conversationId: p.conversationId, actorId: actor, action: 'ban', userId: p.userId, until: until(ctx, p.durationMs), reason: p.reason });
    // the ban committed first: from here the user can neither post nor come back; now take them out
    const member = await ctx.store.getMember(p.conversationId, p.userId);
    if (member && member.leftSeq === null) {
      try {
        await commit(ctx, {
          draft: { type: 'member.left', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), userId: p.userId, removed: true },
          ...pre,
          keepOwner: true,
        });
      } catch (error) {
        if (!isRefusal(error, 'not-member')) throw error; // left meanwhile: the outcome asked for
      }
    }
    return (await current(ctx, p.conversationId, p.userId, 'ban'))!;
  },
  async unban(ctx, actor, p) {
    const { auth } = await moderator(ctx, p.conversationId, actor, 'ban', 'unban', p.reason);
    if (!(await current(ctx, p.conversationId, p.userId, 'ban'))) return { lifted: false };
    await moderate(ctx, auth, auth.pre, { conversationId: p.conversationId, actorId: actor, action: 'unban', userId: p.userId, reason: p.reason });
    return { lifted: true };
  },
  async muteMember(ctx, actor, p) {
    const { who, auth } = await moderator(ctx, p.conversationId, actor, 'mute', 'mute', p.reason);
    const member = await ctx.store.getMember(p.conversationId, p.userId);
    if (!member || member.leftSeq !== null) throw errors.notFound('not a member');
    const pre = await onSubject(ctx, who, auth, actor, p.userId);
    await moderate(ctx, auth, pre, { conversationId: p.conversationId, actorId: actor, action: 'mute', userId: p.userId, until: until(ctx, p.durationMs), reason: p.reason });
    return (await current(ctx, p.conversationId, p.userId, 'mute'))!;
  },
  async unmuteMember(ctx, actor, p) {
    const { auth } = await moderator(ctx, p.conversationId, actor, 'mute', 'unmute', p.reason);
    if (!(await current(ctx, p.conversationId, p.userId, 'mute'))) return { lifted: false };
    await moderate(ctx, auth, auth.pre, { conversationId: p.conversationId, actorId: actor, action: 'unmute', userId: p.userId, reason: p.reason });
    return { lifted: true };
  },
  async freeze(ctx, actor, p) {
    const { who, auth } = await moderator(ctx, p.conversationId, actor, 'freeze', 'freeze', p.reason);
    if ((who.conversation.moderation?.frozen ?? false) === p.frozen) return publicConversation(who.conversation, who.member);
    const action = p.frozen ? 'freeze' : 'unfreeze';
    const result = await moderate(ctx, auth, auth.pre, { conversationId: p.conversationId, actorId: actor, action, reason: p.reason });
    return publicConversation(result.conversation);
  },
  async setSlowMode(ctx, actor, p) {
    const { who, auth } = await moderator(ctx, p.conversationId, actor, 'setSlowMode', 'setSlowMode', p.reason);
    if ((who.conversation.moderation?.slowModeMs ?? null) === p.intervalMs) return publicConversation(who.conversation, who.member);
    const fields = { conversationId: p.conversationId, actorId: actor, action: 'slowMode' as const, slowModeMs: p.intervalMs, reason: p.reason };
    const result = await moderate(ctx, auth, auth.pre, fields);
    return publicConversation(result.conversation);
  },
  async listRestrictions(ctx, actor, p) {
    const who = await resolveActor(ctx, p.conversationId, actor);
    if (!actorHolds(ctx, who, ['ban']) && !actorHolds(ctx, who, ['mute'])) {
      if (!who.member || who.member.leftSeq !== null) throw errors.forbidden('you are no longer a member of this conversation');
      throw errors.forbidden('your role cannot see bans and mutes');
    }
    const at = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ u: string; k: string }>({ u: 'string', k: 'string' }));
    if (at && at.k !== 'ban' && at.k !== 'mute') throw errors.invalid('bad cursor');
    const after = at ? { userId: at.u, kind: at.k as RestrictionKind } : undefined;
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const rows = await ctx.store.restrictions({
      conversationId: p.conversationId,
      limit,
      ...(p.kind ? { kind: p.kind } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    const page = withinBudget(rows, ctx.limits.maxReplyBytes);
    const last = page.items[page.items.length - 1];
    return { items: page.items, nextCursor: (page.cut || rows.length === limit) && last ? encodeCursor({ u: last.userId, k: last.kind }) : null };
  },
};

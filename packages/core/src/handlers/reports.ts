import { actorHolds, resolveActor, type Actor } from '../authorize.js';
import type { EngineContext } from '../context.js';
import { decodeCursor, encodeCursor, shape } from '../cursor.js';
import { ChatError, errors } from '../errors.js';
import { withinBudget } from '../reply-budget.js';
import { requireActive, requireMessage } from '../rules.js';
import { messageHandlers } from './messages.js';
import { moderationHandlers } from './moderation.js';
import type { Handlers } from './types.js';

/** The actor must hold `readReports` here (by conversation role or staff role). */
async function reader(ctx: EngineContext, conversationId: string, actor: string): Promise<Actor> {
  const who = await resolveActor(ctx, conversationId, actor);
  if (!actorHolds(ctx, who, ['readReports'])) {
    if (!who.member || who.member.leftSeq !== null) throw errors.forbidden('you are no longer a member of this conversation');
    throw errors.forbidden('your role cannot read reports');
  }
  return who;
}

/** Reports and the moderation queue (docs/moderation.md). Reports are not events: only the queue's readers see them. */
export const reportHandlers: Handlers<'report' | 'listReports' | 'resolveReport' | 'reportCounts'> = {
  async report(ctx, actor, p) {
    if ((p.seq === undefined) === (p.userId === undefined)) throw errors.invalid('give exactly one of seq and userId');
    const access = await requireActive(ctx, p.conversationId, actor);
    let target: string;
    if (p.seq !== undefined) {
      target = (await requireMessage(ctx, access, p.seq)).senderId;
    } else {
      target = p.userId!;
      if (!(await ctx.store.getMember(p.conversationId, target))) throw errors.notFound('not a member');
    }
    if (target === actor) throw errors.invalid('you cannot report yourself');
    const { report } = await ctx.store.putReport({
      id: ctx.ids.next(),
      conversationId: p.conversationId,
      reporterId: actor,
      targetUserId: target,
      seq: p.seq ?? null,
      reason: p.reason,
      status: 'open',
      createdAt: ctx.clock.now(),
      resolvedBy: null,
      resolvedAt: null,
      action: null,
    });
    return { id: report.id, status: report.status };
  },
  async listReports(ctx, actor, p) {
    await reader(ctx, p.conversationId, actor);
    const after = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ r: string }>({ r: 'string' })).r;
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const rows = await ctx.store.listReports({
      conversationId: p.conversationId,
      excludeTarget: actor, // nobody reads the reports about themselves (or learns who filed them)
      limit,
      ...(p.status ? { status: p.status } : {}),
      ...(after !== undefined ? { afterId: after } : {}),
    });
    const page = withinBudget(rows, ctx.limits.maxReplyBytes);
    const last = page.items[page.items.length - 1];
    return { items: page.items, nextCursor: (page.cut || rows.length === limit) && last ? encodeCursor({ r: last.id }) : null };
  },
  async resolveReport(ctx, actor, p) {
    await reader(ctx, p.conversationId, actor);
    const report = await ctx.store.getReport({ conversationId: p.conversationId, id: p.reportId });
    if (!report || report.targetUserId === actor) throw errors.notFound('no such report');
    if (report.status !== 'open') throw errors.conflict(`the report was already ${report.status}`);
    const { conversationId, targetUserId: userId } = report;
    // the action runs with the moderator's own rights: each needs its permission as if called directly
    if (p.action === 'delete') {
      if (report.seq === null) throw errors.invalid('a report of a user has no message to delete');
      await messageHandlers.delete(ctx, actor, { conversationId, seq: report.seq, scope: 'everyone' });
    } else if (p.action === 'mute') {
      await moderationHandlers.muteMember(ctx, actor, { conversationId, userId, durationMs: p.durationMs, reason: report.reason });
    } else if (p.action === 'ban') {
      await moderationHandlers.ban(ctx, actor, { conversationId, userId, durationMs: p.durationMs, reason: report.reason });
    }
    const closed = await ctx.store.closeReport({
      conversationId,
      id: report.id,
      status: p.action === 'dismiss' ? 'dismissed' : 'resolved',
      resolvedBy: actor,
      resolvedAt: ctx.clock.now(),
      action: p.action,
    });
    if (!closed) throw new ChatError('CONFLICT', 'another moderator closed the report meanwhile');
    return closed;
  },
  async reportCounts(ctx, actor, p) {
    await reader(ctx, p.conversationId, actor);
    return ctx.store.reportCounts({ conversationId: p.conversationId, excludeTarget: actor });
  },
};

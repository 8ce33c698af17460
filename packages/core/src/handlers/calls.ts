import type { Call, CallParticipant, CallStatus } from '@parley/protocol';
import { commit, type EngineContext } from '../context.js';
import { decodeCursor, encodeCursor, shape } from '../cursor.js';
import { ChatError, errors } from '../errors.js';
import { requireActive, requireNotBlocked } from '../rules.js';
import type { Handlers } from './types.js';
import { withinBudget } from '../reply-budget.js';

const LIVE: CallStatus[] = ['ringing', 'active'];
const isLive = (call: Call) => LIVE.includes(call.status);

/**
 * Store the new call state; a final state also adds a `call` message to the timeline. With
 * `requireActiveMember`, the store commits it only while that user is a current member (checked
 * atomically with the append, so a removal racing an answer cannot let the answer in afterwards).
 */
async function saveCall(ctx: EngineContext, actor: string, call: Call, requireActiveMember?: string): Promise<Call> {
  await commit(ctx, {
    draft: { type: 'call', conversationId: call.conversationId, actorId: actor, at: ctx.clock.now(), call },
    ...(requireActiveMember !== undefined ? { requireActiveMember } : {}),
  });
  if (!isLive(call)) {
    const now = ctx.clock.now();
    await commit(ctx, {
      draft: {
        type: 'message',
        conversationId: call.conversationId,
        actorId: call.initiatorId,
        at: now,
        message: {
          conversationId: call.conversationId,
          id: ctx.ids.next(),
          senderId: call.initiatorId,
          kind: 'call',
          text: null,
          attachments: [],
          replyTo: null,
          mentions: [],
          reactions: {},
          clientId: `call:${call.id}`,
          call: { callId: call.id, media: call.media, status: call.status, durationMs: call.durationMs },
          metadata: {},
          pinned: false,
          createdAt: now,
          editedAt: null,
          deletedAt: null,
        },
      },
    });
  }
  return call;
}

/** Work out the call's status after participant changes. */
function settle(call: Call, now: number): Call {
  const joined = call.participants.filter((p) => p.state === 'joined');
  const ringing = call.participants.filter((p) => p.state === 'ringing');
  if (call.status === 'ringing') {
    if (joined.length >= 2) return { ...call, status: 'active', answeredAt: call.answeredAt ?? now };
    if (ringing.length === 0) {
      const declined = call.participants.some((p) => p.state === 'declined');
      return finish({ ...call, status: declined ? 'declined' : 'missed' }, now);
    }
    return call;
  }
  if (call.status === 'active' && joined.length < 2) return finish({ ...call, status: 'ended' }, now);
  return call;
}

function finish(call: Call, now: number): Call {
  const participants = call.participants.map((p): CallParticipant =>
    p.state === 'ringing' ? { ...p, state: 'missed' } : p.state === 'joined' ? { ...p, state: 'left', leftAt: now } : p,
  );
  return { ...call, participants, endedAt: now, durationMs: call.answeredAt === null ? null : now - call.answeredAt };
}

function setState(call: Call, userId: string, state: CallParticipant['state'], now: number): Call {
  return {
    ...call,
    participants: call.participants.map((p) =>
      p.userId !== userId ? p : { ...p, state, ...(state === 'joined' ? { joinedAt: now } : {}), ...(state === 'left' ? { leftAt: now } : {}) },
    ),
  };
}

/**
 * The call the actor takes part in, as it stands now: ringing that outlived the ring timeout
 * turned into missed, participants who are no longer members dropped. The actor must still be a
 * member of the conversation (`FORBIDDEN` otherwise).
 */
export async function loadCall(ctx: EngineContext, callId: string, actor: string): Promise<Call> {
  const call = await ctx.store.getCall(callId);
  if (!call || !call.participants.some((p) => p.userId === actor)) throw errors.notFound('call not found');
  await requireActive(ctx, call.conversationId, actor);
  return dropDeparted(ctx, await expireRinging(ctx, call), actor);
}

const inCall = (p: CallParticipant) => p.state === 'joined' || p.state === 'ringing';

/**
 * Drop from a live call every participant who is no longer a member of its conversation (left or
 * removed): joined becomes left, ringing becomes missed, and the call settles (a call left with
 * fewer than two people ends; a ringing call its caller left is cancelled). `actor` is recorded as
 * the event's actor.
 */
export async function dropDeparted(ctx: EngineContext, call: Call, actor: string): Promise<Call> {
  if (!isLive(call) || !call.participants.some(inCall)) return call;
  const active = new Set(await ctx.store.memberIds(call.conversationId));
  const departed = call.participants.filter((p) => inCall(p) && !active.has(p.userId));
  if (departed.length === 0) return call;
  const now = ctx.clock.now();
  let next = call;
  for (const p of departed) next = setState(next, p.userId, p.state === 'joined' ? 'left' : 'missed', now);
  next =
    next.status === 'ringing' && !active.has(next.initiatorId)
      ? finish({ ...next, status: 'cancelled' }, now)
      : settle(next, now);
  return saveCall(ctx, actor, next);
}

/**
 * Keep live calls in step with membership: when a member leaves or is removed (an event committed
 * by this process), drop them from the conversation's live call. Other processes repair the call
 * lazily on its next operation ({@link loadCall}), so a crash between the two cannot leave them in.
 */
export function installCallHousekeeping(ctx: EngineContext): void {
  ctx.emitter.on('event', (event) => {
    if (event.type !== 'member.left') return;
    void (async () => {
      const call = await ctx.store.activeCall(event.conversationId);
      if (call) await dropDeparted(ctx, call, event.actorId);
    })().catch((error: unknown) => ctx.emitter.emit('error', error));
  });
}

/** Mark participants who rang too long as missed (and the call, if nobody answered). */
export async function expireRinging(ctx: EngineContext, call: Call): Promise<Call> {
  const now = ctx.clock.now();
  if (!isLive(call) || now - call.startedAt < ctx.limits.ringTimeoutMs) return call;
  if (!call.participants.some((p) => p.state === 'ringing')) return call;
  const next = settle(
    { ...call, participants: call.participants.map((p) => (p.state === 'ringing' ? { ...p, state: 'missed' as const } : p)) },
    now,
  );
  return saveCall(ctx, call.initiatorId, next);
}

/** Calls history and the state machine: ringing -> active -> ended, or missed / declined / cancelled. */
export const callHandlers: Handlers<'startCall' | 'answerCall' | 'declineCall' | 'endCall' | 'callHistory'> = {
  async startCall(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    await requireNotBlocked(ctx, access.conversation, actor);
    const existing = await ctx.store.activeCall(p.conversationId);
    if (existing && isLive(await expireRinging(ctx, existing))) throw new ChatError('CONFLICT', 'a call is already in progress here');
    const memberIds = await ctx.store.memberIds(p.conversationId);
    if (memberIds.length < 2) throw errors.invalid('nobody else to call');
    if (memberIds.length > ctx.limits.maxCallParticipants) throw errors.forbidden(`calls ring at most ${ctx.limits.maxCallParticipants} members`);
    const now = ctx.clock.now();
    const call: Call = {
      id: ctx.ids.next(),
      conversationId: p.conversationId,
      initiatorId: actor,
      media: p.media,
      status: 'ringing',
      participants: memberIds.map((userId) => ({
        userId,
        state: userId === actor ? 'joined' : 'ringing',
        joinedAt: userId === actor ? now : null,
        leftAt: null,
      })),
      startedAt: now,
      answeredAt: null,
      endedAt: null,
      durationMs: null,
    };
    await commit(ctx, { draft: { type: 'call', conversationId: p.conversationId, actorId: actor, at: now, call }, requireActiveMember: actor });
    const timer = setTimeout(() => {
      ctx.timers.delete(timer);
      ctx.store
        .getCall(call.id)
        .then((current) => (current ? expireRinging(ctx, current) : undefined))
        .catch((error: unknown) => ctx.emitter.emit('error', error));
    }, ctx.limits.ringTimeoutMs + 50);
    timer.unref?.();
    ctx.timers.add(timer);
    return call;
  },
  async answerCall(ctx, actor, p) {
    const call = await loadCall(ctx, p.callId, actor);
    const me = call.participants.find((x) => x.userId === actor)!;
    if (!isLive(call)) throw new ChatError('CONFLICT', `the call is ${call.status}`);
    if (me.state === 'joined') return call;
    if (me.state !== 'ringing' && me.state !== 'left') throw new ChatError('CONFLICT', `you already ${me.state} this call`);
    const now = ctx.clock.now();
    return saveCall(ctx, actor, settle(setState(call, actor, 'joined', now), now), actor);
  },
  async declineCall(ctx, actor, p) {
    const call = await loadCall(ctx, p.callId, actor);
    const me = call.participants.find((x) => x.userId === actor)!;
    if (!isLive(call)) throw new ChatError('CONFLICT', `the call is ${call.status}`);
    if (me.state !== 'ringing') throw new ChatError('CONFLICT', 'only a ringing call can be declined');
    const now = ctx.clock.now();
    return saveCall(ctx, actor, settle(setState(call, actor, 'declined', now), now), actor);
  },
  async endCall(ctx, actor, p) {
    const call = await loadCall(ctx, p.callId, actor);
    if (!isLive(call)) return call;
    const now = ctx.clock.now();
    if (call.status === 'ringing' && actor === call.initiatorId) {
      return saveCall(ctx, actor, finish({ ...call, status: 'cancelled' }, now), actor);
    }
    const me = call.participants.find((x) => x.userId === actor)!;
    if (me.state !== 'joined') throw new ChatError('CONFLICT', 'you are not in this call');
    return saveCall(ctx, actor, settle(setState(call, actor, 'left', now), now), actor);
  },
  async callHistory(ctx, actor, p) {
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const before = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ t: number; i: string }>({ t: 'number', i: 'string' }));
    const calls = await ctx.store.listCalls({ userId: actor, limit, ...(before ? { before: { startedAt: before.t, id: before.i } } : {}) });
    const page = withinBudget(calls, ctx.limits.maxReplyBytes);
    const last = page.items[page.items.length - 1];
    return { items: page.items, nextCursor: (page.cut || calls.length === limit) && last ? encodeCursor({ t: last.startedAt, i: last.id }) : null };
  },
};

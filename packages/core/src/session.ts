import {
  Id,
  OpParams,
  WireOpParams,
  type OpName,
  type ParamsOf,
  type ResultOf,
} from '@parley/protocol';
import type { z } from 'zod';
import { publish, type EngineContext } from './context.js';
import { ChatError, errors, invalidFromZod, isChatError } from './errors.js';
import { callHandlers, loadCall } from './handlers/calls.js';
import { conversationHandlers } from './handlers/conversations.js';
import { deviceHandlers } from './handlers/devices.js';
import { messageHandlers } from './handlers/messages.js';
import { readHandlers } from './handlers/reads.js';
import { receiptBatchHandlers } from './handlers/receipts-batch.js';
import { moderationHandlers } from './handlers/moderation.js';
import { reportHandlers } from './handlers/reports.js';
import type { Handler } from './handlers/types.js';
import { userHandlers } from './handlers/users.js';
import { topics } from './pubsub.js';
import { requireActive, requireNotBlocked } from './rules.js';
import { requireMayPost } from './authorize.js';

const handlers: { [K in OpName]: Handler<K> } = {
  ...userHandlers,
  ...conversationHandlers,
  ...messageHandlers,
  ...readHandlers,
  ...receiptBatchHandlers,
  ...callHandlers,
  ...deviceHandlers,
  ...moderationHandlers,
  ...reportHandlers,
};

/** Parameters of `ChatSession.typing`. */
export type TypingParams = z.input<typeof WireOpParams.typing>;
/** Parameters of `ChatSession.signal`. */
export type SignalParams = z.input<typeof WireOpParams.signal>;

/**
 * Everything one user can do, with every rule enforced. Get one with `chat.as(userId)`.
 * Each method validates its params (bad input: `ChatError('INVALID')`, nothing changes) and
 * checks the user's rights (`FORBIDDEN`; conversations the user cannot know get `FORBIDDEN` too,
 * with the same message as ones that do not exist).
 */
export type ChatSession = { readonly userId: string } & { [K in OpName]: (params?: ParamsOf<K>) => Promise<ResultOf<K>> } & {
  /**
   * Run an operation by name with unvalidated params (what a transport receives).
   * Unknown ops are `INVALID`.
   */
  call(op: string, params: unknown): Promise<unknown>;
  /** Tell the members of a conversation the user is typing. Throttled; expires after `limits.typingTtlMs`. */
  typing(params: TypingParams): Promise<{ ok: true }>;
  /** Relay a signalling payload to another participant of a live call the user is in. */
  signal(params: SignalParams): Promise<{ ok: true }>;
};

function parse<S extends z.ZodType>(schema: S, params: unknown, op: string): z.output<S> {
  const result = schema.safeParse(params ?? {});
  if (!result.success) throw invalidFromZod(result.error, `params for ${op}`);
  return result.data;
}

/** Internal: run a handler, turning stray failures into typed errors. */
async function run(ctx: EngineContext, actor: string, op: OpName, params: unknown): Promise<unknown> {
  const parsed = parse(OpParams[op] as z.ZodType, params, op);
  try {
    return await (handlers[op] as Handler<OpName>)(ctx, actor, parsed as never);
  } catch (error) {
    if (isChatError(error)) throw error;
    throw new ChatError('INTERNAL', `${op} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * A user's session. The op methods live on the prototype (added below, once), so a session is
 * three fields: transports can hold one per connection without a closure per operation.
 */
class Session {
  readonly userId: string;
  readonly #ctx: EngineContext;
  readonly #typingState: Map<string, number>;

  constructor(ctx: EngineContext, userId: string, typingState: Map<string, number>) {
    this.userId = userId;
    this.#ctx = ctx;
    this.#typingState = typingState;
  }

  /** Run an engine op (used by the generated op methods). */
  run(op: OpName, params: unknown): Promise<unknown> {
    return run(this.#ctx, this.userId, op, params);
  }

  call(op: string, params: unknown): Promise<unknown> {
    if (op === 'typing') return this.typing(params as TypingParams);
    if (op === 'signal') return this.signal(params as SignalParams);
    if (!Object.hasOwn(handlers, op)) return Promise.reject(errors.invalid(`unknown op ${JSON.stringify(op).slice(0, 80)}`));
    return run(this.#ctx, this.userId, op as OpName, params);
  }

  async typing(params: TypingParams): Promise<{ ok: true }> {
    const ctx = this.#ctx;
    const userId = this.userId;
    const typingState = this.#typingState;
    const p = parse(WireOpParams.typing, params, 'typing');
    const key = `${userId}\u0000${p.conversationId}`;
    const now = ctx.clock.now();
    const last = typingState.get(key);
    if (p.typing && last !== undefined && now - last < ctx.limits.typingThrottleMs) return { ok: true };
    if (!p.typing && last === undefined) return { ok: true };
    const access = await requireActive(ctx, p.conversationId, userId);
    // a block stops typing signals like it stops messages: the blocker must not see "typing…"
    await requireNotBlocked(ctx, access.conversation, userId);
    // like a message: not while muted, nor in a frozen conversation (for roles that cannot post there)
    if (p.typing) await requireMayPost(ctx, access);
    if (p.typing) typingState.set(key, now);
    else typingState.delete(key);
    if (typingState.size > 100_000) typingState.clear();
    await publish(ctx, topics.conversation(p.conversationId), {
      t: 'typing',
      conversationId: p.conversationId,
      userId,
      typing: p.typing,
      expiresInMs: ctx.limits.typingTtlMs,
    });
    return { ok: true };
  }

  async signal(params: SignalParams): Promise<{ ok: true }> {
    const ctx = this.#ctx;
    const userId = this.userId;
    const p = parse(WireOpParams.signal, params, 'signal');
    // the sender must be a current member; participants who left or were removed are dropped first
    const call = await loadCall(ctx, p.callId, userId);
    const live = call.status === 'ringing' || call.status === 'active';
    const me = call.participants.find((x) => x.userId === userId)!;
    const peer = call.participants.find((x) => x.userId === p.to);
    if (!live || !peer || p.to === userId || me.state !== 'joined' || (peer.state !== 'joined' && peer.state !== 'ringing')) {
      throw errors.forbidden('signalling is only relayed between participants of a live call');
    }
    await publish(ctx, topics.user(p.to), {
      t: 'push',
      userId: p.to,
      push: { ev: 'signal', callId: p.callId, from: userId, kind: p.kind, payload: p.payload ?? null },
    });
    return { ok: true };
  }
}

for (const op of Object.keys(handlers) as OpName[]) {
  Object.defineProperty(Session.prototype, op, {
    value: function (this: Session, params?: unknown) {
      return this.run(op, params);
    },
    writable: true,
    configurable: true,
  });
}

/** Internal: the session object for a user. */
export function createSession(ctx: EngineContext, userId: string, typingState: Map<string, number>): ChatSession {
  const idCheck = Id.safeParse(userId);
  if (!idCheck.success) throw invalidFromZod(idCheck.error, 'user id');
  return new Session(ctx, userId, typingState) as unknown as ChatSession;
}

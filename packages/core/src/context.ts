import type { Conversation, ConversationEvent, Receipt } from '@parley/protocol';
import type EventEmitter from 'eventemitter3';
import type { Clock, IdGenerator } from './ids.js';
import type { Limits } from './limits.js';
import type { PresenceRegistry } from './presence.js';
import { topics, type BusMessage, type PubSub } from './pubsub.js';
import type { ChatStore, ConversationRecord, MemberRecord } from './store.js';
import type { ChatHooks } from './hooks.js';
import type { RateLimiter } from './rate-limit.js';
import type { AuditEntry } from './authorize.js';
import type { ResolvedPermissions } from './permissions.js';
import type { Blocklist } from './blocklist.js';
import type { Permission } from '@parley/protocol';

/** Events the engine emits locally for every operation committed in this process. */
export interface ChatEvents {
  /** A committed conversation event (for webhooks, push notifications, analytics). */
  event: (event: ConversationEvent, conversation: Conversation) => void;
  /** A member's watermarks moved. */
  receipt: (receipt: Receipt) => void;
  /** A staff member or the system acted under app-level authority (see docs/moderation.md). */
  audit: (entry: AuditEntry) => void;
  /** A non-fatal failure (a publish that did not go through, a timer that failed). */
  error: (error: unknown) => void;
}

/** Everything an operation handler needs. Internal. */
export interface EngineContext {
  store: ChatStore;
  pubsub: PubSub;
  presence: PresenceRegistry;
  hooks: ChatHooks;
  limits: Limits;
  clock: Clock;
  ids: IdGenerator;
  emitter: EventEmitter<ChatEvents>;
  /** Buckets for quotas and shared rate limits. */
  rateLimiter: RateLimiter;
  /** Timers for ringing calls, cleared on close. */
  timers: Set<ReturnType<typeof setTimeout>>;
  /** The permission table and staff roles in force; `all` lists every permission (the system's grants). */
  permissions: ResolvedPermissions & { all: readonly Permission[] };
  /** Set on the context of `chat.asSystem`: server code acting as the system, with its stated reason. */
  system?: { reason: string };
  /** The built-in word/regex blocklist, or null when none is configured. */
  blocklist: Blocklist | null;
  /** Announcements whose publishes are still in flight (shared by every copy of the context). */
  announcing: { count: number };
}

/** The public view of a stored conversation. */
export function publicConversation(record: ConversationRecord, viewer?: MemberRecord | null): Conversation {
  const { updatedAt: _updatedAt, ...conversation } = record;
  if (viewer && viewer.leftSeq !== null && conversation.lastSeq > viewer.leftSeq) {
    // a former member sees the conversation as it was when they left
    conversation.lastSeq = viewer.leftSeq;
    if (conversation.lastMessage && conversation.lastMessage.seq > viewer.leftSeq) conversation.lastMessage = null;
  }
  return conversation;
}

/** Publish without failing the operation: a lost publish is repaired by the client's resume. */
export async function publish(ctx: EngineContext, topic: string, message: BusMessage): Promise<void> {
  try {
    await ctx.pubsub.publish(topic, message);
  } catch (error) {
    ctx.emitter.emit('error', error);
  }
}

/**
 * Fan a committed event out: conversation topic, the user topics of members it concerns, local
 * listeners. The publishes are issued synchronously, in commit order (a bus delivers one process's
 * messages on a topic in publish order), and local listeners run before this waits for the bus.
 */
export async function announce(ctx: EngineContext, event: ConversationEvent, conversation: ConversationRecord): Promise<void> {
  const message: BusMessage = { t: 'event', event };
  const jobs = [publish(ctx, topics.conversation(event.conversationId), message)];
  if (event.type === 'member.joined' || event.type === 'member.left') {
    jobs.push(publish(ctx, topics.user(event.userId), message));
  }
  if (event.type === 'conversation.created') {
    for (const m of event.members) jobs.push(publish(ctx, topics.user(m.userId), message));
  }
  try {
    ctx.emitter.emit('event', event, publicConversation(conversation));
  } catch (error) {
    ctx.emitter.emit('error', error);
  }
  await Promise.all(jobs);
}

/**
 * Most announcements a process lets run on without waiting for the bus. Below it, an operation
 * answers as soon as its event is committed (the bus round trip is not on the caller's path: the
 * event is durable, and a publish that fails is repaired by the client's resume); at it, the next
 * commit waits for its own publishes, so a slow or absent bus slows writers instead of growing an
 * unbounded queue of publishes.
 */
export const MAX_UNAWAITED_ANNOUNCES = 1024;

/** Announce without holding the caller for the bus, within {@link MAX_UNAWAITED_ANNOUNCES}. */
export async function announceInBackground(ctx: EngineContext, event: ConversationEvent, conversation: ConversationRecord): Promise<void> {
  const done = announce(ctx, event, conversation);
  if (ctx.announcing.count >= MAX_UNAWAITED_ANNOUNCES) return done;
  ctx.announcing.count += 1;
  void done.finally(() => {
    ctx.announcing.count -= 1;
  });
}

/** Append an event and announce it (duplicates are not announced again). */
export async function commit(ctx: EngineContext, input: import('./store.js').AppendInput): Promise<import('./store.js').AppendResult> {
  const result = await ctx.store.append(input);
  if (!result.duplicate) await announceInBackground(ctx, result.event, result.conversation);
  return result;
}

import { Id, Metadata, HARD_LIMITS, PERMISSIONS, SYSTEM_ACTOR, Url, safeString, type Message, type Presence, type User } from '@parley/protocol';
import EventEmitter from 'eventemitter3';
import { z } from 'zod';
import { commit, publish, type ChatEvents, type EngineContext } from './context.js';
import { ChatError, invalidFromZod, toUnavailable } from './errors.js';
import { installCallHousekeeping } from './handlers/calls.js';
import { canSeePresence } from './handlers/users.js';
import { checkBody } from './handlers/messages.js';
import type { ChatHooks } from './hooks.js';
import { createUuidV7, systemClock, type Clock, type IdGenerator } from './ids.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { createMemoryPresence, type PresenceConnectResult, type PresenceRegistry } from './presence.js';
import { createMemoryRateLimiter, type RateLimiter } from './rate-limit.js';
import type { Quotas } from './quotas.js';
import { createMemoryPubSub, topics, type PubSub } from './pubsub.js';
import { createSession, type ChatSession } from './session.js';
import { DEFAULT_CAPABILITIES, type ChatStore, type StoreCapabilities } from './store.js';
import { requireActive } from './rules.js';
import { exportUser, type ExportRecord } from './lifecycle/export.js';
import { eraseUser, erasureOf, type EraseOptions, type EraseReport } from './lifecycle/erase.js';
import { resolvePermissions, type PermissionOptions } from './permissions.js';
import { createBlocklist, type BlocklistOptions } from './blocklist.js';

/** Limits as given to {@link createChat}: any subset, quotas too. */
export type LimitOptions = Partial<Omit<Limits, 'quotas'>> & { quotas?: Partial<Quotas> };

/** Options of {@link createChat}. */
export interface ChatOptions {
  /** Where data lives. `createMemoryStore()` for tests; a Postgres or MongoDB store in production. */
  store: ChatStore;
  /** How committed events reach transports. Default: an in-process bus (one server). */
  pubsub?: PubSub;
  /** Who is connected. Default: in-process (one server). */
  presence?: PresenceRegistry;
  /** Integration hooks (moderation). */
  hooks?: ChatHooks;
  /** Limits; missing fields (and missing quotas) take {@link DEFAULT_LIMITS}. */
  limits?: LimitOptions;
  /** Time source. Default: the system clock. */
  clock?: Clock;
  /** Id source. Default: UUIDv7. */
  ids?: IdGenerator;
  /**
   * Where quotas ({@link Limits.quotas}) are counted. Default: in this process. Give the Redis
   * limiter of `@parley/pubsub-redis` to count a user's actions across every node.
   */
  rateLimiter?: RateLimiter;
  /**
   * Who may do what: the permission table per conversation kind and role (default
   * {@link DEFAULT_PERMISSIONS}, today's owner/admin/member rules) and app-level staff roles.
   * See docs/moderation.md.
   */
  permissions?: PermissionOptions;
  /**
   * A built-in word/regex blocklist for every conversation, and per conversation through
   * `forConversation`: `block` refuses a message or edit, `flag` stores it and files it in the
   * report queue (reported by `SYSTEM_ACTOR`). Runs after `hooks.beforeSend`, on the final text.
   */
  blocklist?: BlocklistOptions;
}

/** Options of {@link Chat.asSystem}. */
export interface SystemSessionOptions {
  /** Why server code acts as the system (kept in every audit entry). Required, non-empty. */
  reason: string;
}

/** Options of {@link Chat.as}. */
export interface SessionOptions {
  /**
   * Skip the per-user quotas for this session (server code importing data or seeding). Every rule
   * still applies. Never set it for a session that acts on a client's request. Default false.
   */
  unlimited?: boolean;
}

/** Input of {@link Chat.upsertUser}. */
export const UpsertUserInput = z
  .object({
    id: Id,
    displayName: safeString(HARD_LIMITS.shortTextLength).min(1).optional(),
    avatarUrl: Url.nullable().optional(),
    statusText: safeString(HARD_LIMITS.shortTextLength).nullable().optional(),
    metadata: Metadata.optional(),
  })
  .strict();

/** Input of {@link Chat.systemMessage}. */
export const SystemMessageInput = z
  .object({
    conversationId: Id,
    senderId: Id,
    text: safeString(HARD_LIMITS.textLength).min(1),
    clientId: safeString(HARD_LIMITS.idLength).min(1).optional(),
    metadata: Metadata.optional(),
  })
  .strict();

/** The chat engine. Create one per process with {@link createChat}. */
export interface Chat {
  /** Act as a user: every operation enforces that user's rights (and quotas, unless `unlimited`). */
  as(userId: string, options?: SessionOptions): ChatSession;
  /**
   * Act as the system (`SYSTEM_ACTOR`): every permission in every conversation, no quotas, for
   * server code (moderation jobs, imports). Explicit on purpose: each action it authorizes is
   * emitted as an `audit` event with `reason`, and its events carry `SYSTEM_ACTOR` as actor.
   */
  asSystem(options: SystemSessionOptions): ChatSession;
  /** Create or update a user's profile (the host app owns identity). */
  upsertUser(input: z.input<typeof UpsertUserInput>): Promise<User>;
  /** Write a `system` message into a conversation as `senderId` (who must be a member). */
  systemMessage(input: z.input<typeof SystemMessageInput>): Promise<Message>;
  /**
   * Register a connection of a user; announces presence when it is the first. Returns the
   * registry's answer (`connections` counts the user's connections on every server, when the
   * registry reports it). Refused with `FORBIDDEN` for an erased user ({@link Chat.eraseUser}).
   */
  connect(userId: string, connectionId: string): Promise<PresenceConnectResult>;
  /** Unregister a connection; when it was the last, persists lastSeenAt and announces presence. */
  disconnect(userId: string, connectionId: string): Promise<void>;
  /** Whether `viewer` may see `target`'s presence (contacts and conversation peers, minus blocks). */
  canSeePresence(viewer: string, target: string): Promise<boolean>;
  /** Whether the user is an active member of the conversation. */
  isMember(conversationId: string, userId: string): Promise<boolean>;
  /** Run retention now: erase content of messages deleted long ago, expire messages past their conversation's TTL. */
  runRetention(): Promise<{ purged: number; expired: number }>;
  /**
   * Everything Parley holds about a user (GDPR access and portability), streamed as
   * {@link ExportRecord}s with bounded memory; `exportLines` turns them into JSON lines. Throws
   * `NOT_FOUND` for an unknown user. The format is documented in docs/operations.md.
   */
  exportUser(userId: string, options?: { pageSize?: number }): AsyncIterable<ExportRecord>;
  /**
   * Erase a user (GDPR article 17), see {@link EraseOptions} for the modes: contacts and blocks
   * removed, memberships ended, the profile reduced to "Deleted user", connected devices closed and
   * {@link Chat.connect} refused (`FORBIDDEN`) from then on. Idempotent, and a rerun after a crash
   * finishes the job. Throws `NOT_FOUND` for an unknown user.
   */
  eraseUser(userId: string, options: EraseOptions): Promise<EraseReport>;
  /** Subscribe to committed events in this process (webhooks, push notifications). */
  on<E extends keyof ChatEvents>(event: E, listener: ChatEvents[E]): () => void;
  /** The bus events are published on (transports subscribe to it). */
  readonly pubsub: PubSub;
  /** The store, wrapped so failures surface as `ChatError('UNAVAILABLE')`. */
  readonly store: ChatStore;
  /** The store's capabilities with defaults filled in. */
  readonly capabilities: StoreCapabilities;
  /** The limits in force. */
  readonly limits: Limits;
  /** The clock in use. */
  readonly clock: Clock;
  /** Stop timers. Does not close the store or the bus (the caller owns them). */
  close(): Promise<void>;
}

/** Wrap every store method so anything thrown that is not a ChatError becomes `UNAVAILABLE` with its cause. */
function guardStore(store: ChatStore): ChatStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const out = (value as (...a: unknown[]) => unknown).apply(target, args);
          return out instanceof Promise ? out.catch((error: unknown) => Promise.reject(toUnavailable(error, `store.${String(prop)}`))) : out;
        } catch (error) {
          return Promise.reject(toUnavailable(error, `store.${String(prop)}`));
        }
      };
    },
  });
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (!r.success) throw invalidFromZod(r.error, what);
  return r.data;
}

/**
 * Create the chat engine.
 *
 * ```ts
 * const chat = createChat({ store: createMemoryStore() });
 * await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
 * await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
 * const dm = await chat.as('ana').openDirect({ userId: 'ben' });
 * await chat.as('ana').send({ conversationId: dm.id, clientId: 'c1', text: 'hi' });
 * ```
 */
export function createChat(options: ChatOptions): Chat {
  const clock = options.clock ?? systemClock;
  const ctx: EngineContext = {
    store: guardStore(options.store),
    pubsub: options.pubsub ?? createMemoryPubSub(),
    presence: options.presence ?? createMemoryPresence(),
    hooks: options.hooks ?? {},
    limits: { ...DEFAULT_LIMITS, ...options.limits, quotas: { ...DEFAULT_LIMITS.quotas, ...options.limits?.quotas } },
    clock,
    ids: options.ids ?? createUuidV7(clock),
    emitter: new EventEmitter<ChatEvents>(),
    rateLimiter: options.rateLimiter ?? createMemoryRateLimiter(),
    timers: new Set(),
    permissions: { ...resolvePermissions(options.permissions), all: PERMISSIONS },
    blocklist: createBlocklist(options.blocklist),
    announcing: { count: 0 },
  };
  let unlimited: EngineContext | undefined;
  const unlimitedCtx = () =>
    (unlimited ??= { ...ctx, limits: { ...ctx.limits, quotas: { conversationsCreated: null, membersAdded: null, metadataBytes: null } } });
  installCallHousekeeping(ctx); // a member who leaves or is removed is dropped from a live call
  const typingState = new Map<string, number>();
  const announcePresence = async (userId: string, online: boolean, lastSeenAt: number | null) => {
    const presence: Presence = { userId, online, lastSeenAt };
    await publish(ctx, topics.presence(userId), { t: 'presence', presence });
  };

  return {
    as: (userId, sessionOptions) => createSession(sessionOptions?.unlimited ? unlimitedCtx() : ctx, userId, typingState),
    asSystem(systemOptions) {
      const reason = typeof systemOptions?.reason === 'string' ? systemOptions.reason.trim() : '';
      if (reason.length === 0) throw new ChatError('INVALID', 'asSystem needs a reason (it is kept in the audit trail)');
      return createSession({ ...unlimitedCtx(), system: { reason } }, SYSTEM_ACTOR, typingState);
    },
    async upsertUser(input) {
      const p = parse(UpsertUserInput, input, 'user');
      if (p.id === SYSTEM_ACTOR) throw new ChatError('INVALID', `the user id ${SYSTEM_ACTOR} is reserved for the system actor`);
      const [existing] = await ctx.store.getUsers([p.id]);
      if (!existing && p.displayName === undefined) throw new ChatError('INVALID', 'displayName is required for a new user');
      if (existing && erasureOf(existing)) throw new ChatError('FORBIDDEN', 'this account was deleted');
      return ctx.store.upsertUser({ ...p, now: ctx.clock.now() });
    },
    async systemMessage(input) {
      const p = parse(SystemMessageInput, input, 'system message');
      await requireActive(ctx, p.conversationId, p.senderId);
      checkBody(ctx, 'system', p.text, []);
      const now = ctx.clock.now();
      const result = await commit(ctx, {
        draft: {
          type: 'message',
          conversationId: p.conversationId,
          actorId: p.senderId,
          at: now,
          message: {
            conversationId: p.conversationId,
            id: ctx.ids.next(),
            senderId: p.senderId,
            kind: 'system',
            text: p.text,
            attachments: [],
            replyTo: null,
            mentions: [],
            reactions: {},
            clientId: p.clientId ?? null,
            call: null,
            metadata: p.metadata ?? {},
            pinned: false,
            createdAt: now,
            editedAt: null,
            deletedAt: null,
          },
        },
        requireActiveMember: p.senderId,
      });
      if (result.event.type !== 'message') throw new ChatError('INTERNAL', 'store returned a non-message event');
      return result.event.message;
    },
    async connect(userId, connectionId) {
      const [user] = await ctx.store.getUsers([userId]);
      if (user && erasureOf(user)) throw new ChatError('FORBIDDEN', 'this account was deleted');
      const result = await ctx.presence.connect({ userId, connectionId });
      if (result.nowOnline) await announcePresence(userId, true, null);
      return result;
    },
    async disconnect(userId, connectionId) {
      const { nowOffline } = await ctx.presence.disconnect({ userId, connectionId });
      if (!nowOffline) return;
      const at = ctx.clock.now();
      await ctx.store.setLastSeen({ userId, at });
      await announcePresence(userId, false, at);
    },
    canSeePresence: (viewer, target) => canSeePresence(ctx, viewer, target),
    async isMember(conversationId, userId) {
      const m = await ctx.store.getMember(conversationId, userId);
      return m !== null && m.leftSeq === null;
    },
    async runRetention() {
      const now = ctx.clock.now();
      const purged = await ctx.store.purgeDeleted({ deletedBefore: now - ctx.limits.purgeDeletedAfterDays * 24 * 3600 * 1000 });
      const expired = await ctx.store.expireMessages({ now });
      return { purged, expired };
    },
    eraseUser: (userId, eraseOptions) => eraseUser(ctx, userId, eraseOptions),
    exportUser: (userId, exportOptions) => exportUser(ctx.store, userId, { ...exportOptions, now: ctx.clock.now() }),
    on(event, listener) {
      ctx.emitter.on(event, listener as never);
      return () => void ctx.emitter.off(event, listener as never);
    },
    pubsub: ctx.pubsub,
    store: ctx.store,
    capabilities: { ...DEFAULT_CAPABILITIES, ...options.store.capabilities },
    limits: ctx.limits,
    clock,
    async close() {
      for (const t of ctx.timers) clearTimeout(t);
      ctx.timers.clear();
      ctx.emitter.removeAllListeners();
    },
  };
}

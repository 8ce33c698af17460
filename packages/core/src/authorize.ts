import { SYSTEM_ACTOR, type Message, type Permission, type Role } from '@parley/protocol';
import type { EngineContext } from './context.js';
import { errors } from './errors.js';
import { grantsIn, rolesHolding } from './permissions.js';
import { requireMessage, type Access } from './rules.js';
import { inForce } from './moderation.js';
import { appendRefused } from './preconditions.js';
import type { AppendInput, ConversationRecord, MemberRecord } from './store.js';

/** Who is acting in a conversation, and on what authority. */
export interface Actor {
  conversation: ConversationRecord;
  /** The actor's membership (active or former), or null. */
  member: MemberRecord | null;
  /** The staff role the actor acts under in this conversation, or null (system: `'system'`). */
  staffRole: string | null;
  /** The permissions of that staff role here (empty for non-staff). */
  staffGrants: readonly Permission[];
}

/** One record of a staff or system action (`chat.on('audit')`); moderation events also land in the log. */
export interface AuditEntry {
  /** The acting user (or `SYSTEM_ACTOR`). */
  actorId: string;
  /** `staff`: a user with an app-level staff role; `system`: server code through `chat.asSystem`. */
  authority: 'staff' | 'system';
  /** The staff role, or `'system'`. */
  role: string;
  op: string;
  conversationId: string;
  /** The reason given (`asSystem({ reason })`, a moderation op's `reason`), or null. */
  reason: string | null;
  at: number;
}

/** The permissions of `role` in the conversation (the app's table for its kind, overlaid by its own grants). */
export function roleHolds(ctx: EngineContext, conversation: ConversationRecord, role: Role, needed: readonly Permission[]): boolean {
  return rolesHolding(grantsIn(ctx.permissions.table, conversation.kind, conversation.permissions), needed).includes(role);
}

/** True when the active member holds every permission of `needed` here. */
export function memberHolds(ctx: EngineContext, access: Access, needed: readonly Permission[]): boolean {
  return access.member.leftSeq === null && roleHolds(ctx, access.conversation, access.member.role, needed);
}

/** The append precondition of a member's action that needs `needed` (decided again by the store at commit). */
export function permissionPrecondition(ctx: EngineContext, actor: string, needed: readonly Permission[]): Pick<AppendInput, 'requireActiveMember' | 'permission'> {
  return { requireActiveMember: actor, permission: { needed, table: ctx.permissions.table } };
}

/** The staff role of a user in a conversation of this kind (the system actor: every permission everywhere). */
async function staffOf(ctx: EngineContext, userId: string, conversation: ConversationRecord): Promise<{ role: string; grants: readonly Permission[] } | null> {
  if (userId === SYSTEM_ACTOR && ctx.system) return { role: 'system', grants: ctx.permissions.all };
  const staff = ctx.permissions.staff;
  if (!staff || !(staff.kinds ?? ['channel']).includes(conversation.kind)) return null;
  const role = await staff.roleOf(userId);
  const grants = role === null ? undefined : staff.roles[role];
  return role !== null && grants ? { role, grants } : null;
}

/**
 * The conversation and the actor: a member, app staff, or the system. Anyone else, and a
 * conversation that does not exist, get the same error (no existence leak).
 */
export async function resolveActor(ctx: EngineContext, conversationId: string, userId: string): Promise<Actor> {
  const [conversation, member] = await Promise.all([ctx.store.getConversation(conversationId), ctx.store.getMember(conversationId, userId)]);
  if (!conversation) throw errors.noConversation();
  const staff = await staffOf(ctx, userId, conversation);
  if (!member && !staff) throw errors.noConversation();
  return { conversation, member, staffRole: staff?.role ?? null, staffGrants: staff?.grants ?? [] };
}

/** True when the actor may do what needs `needed` here, by conversation role or by staff role. */
export function actorHolds(ctx: EngineContext, actor: Actor, needed: readonly Permission[]): boolean {
  const { member, conversation } = actor;
  if (member && member.leftSeq === null && roleHolds(ctx, conversation, member.role, needed)) return true;
  return actor.staffRole !== null && needed.every((p) => actor.staffGrants.includes(p));
}

/**
 * A message the actor may act on: one an active member can see, or any message of the
 * conversation for staff. Former members (not staff) are told they left; missing and invisible
 * messages get the same error.
 */
export async function actingMessage(ctx: EngineContext, actor: Actor, seq: number): Promise<Message> {
  const { member, conversation } = actor;
  if (member && member.leftSeq === null) return requireMessage(ctx, { conversation, member }, seq);
  if (actor.staffRole === null) throw errors.forbidden('you are no longer a member of this conversation');
  const message = seq <= conversation.lastSeq ? await ctx.store.getMessage(conversation.id, seq) : null;
  if (!message) throw errors.noMessage();
  return message;
}

/**
 * Authorize an action that needs `needed`: by the actor's conversation role when it holds them
 * (returns the precondition the store decides again at commit), else by their staff role (app data
 * the engine decides; audited), else FORBIDDEN with `denied`.
 */
export function authorize(
  ctx: EngineContext,
  actor: Actor,
  userId: string,
  needed: readonly Permission[],
  audit: { op: string; reason?: string | null },
  denied: string,
): Authorization {
  const { member, conversation } = actor;
  if (member && member.leftSeq === null && roleHolds(ctx, conversation, member.role, needed)) {
    return { pre: permissionPrecondition(ctx, userId, needed), audit: null };
  }
  if (actor.staffRole !== null && needed.every((p) => actor.staffGrants.includes(p))) {
    const authority = userId === SYSTEM_ACTOR ? 'system' : 'staff';
    const reason = audit.reason ?? ctx.system?.reason ?? null;
    return { pre: {}, audit: { actorId: userId, authority, role: actor.staffRole, op: audit.op, conversationId: conversation.id, reason, at: ctx.clock.now() } };
  }
  if (!member) throw errors.noConversation();
  if (member.leftSeq !== null) throw errors.forbidden('you are no longer a member of this conversation');
  throw errors.forbidden(denied);
}

/** What {@link authorize} decided: the append precondition, and the audit entry to record once the action committed. */
export interface Authorization {
  pre: Pick<AppendInput, 'requireActiveMember' | 'permission'>;
  audit: AuditEntry | null;
}

/** Record the audit entry of an authorization, if it has one (call after the action committed). */
export function audited(ctx: EngineContext, auth: Authorization): void {
  if (auth.audit) recordAudit(ctx, auth.audit);
}

/** Emit an audit entry to local listeners (a throwing listener is reported as `error`, never fails the action). */
export function recordAudit(ctx: EngineContext, entry: AuditEntry): void {
  try {
    ctx.emitter.emit('audit', entry);
  } catch (error) {
    ctx.emitter.emit('error', error);
  }
}

/**
 * An engine-side check for what is not an append (typing): the active member is not muted, and a
 * frozen conversation lets only roles holding `freeze` through. Appends are decided by the store.
 */
export async function requireMayPost(ctx: EngineContext, access: Access): Promise<void> {
  const now = ctx.clock.now();
  const [muted] = await ctx.store.restrictions({ conversationId: access.conversation.id, userIds: [access.member.userId], kind: 'mute', limit: 1 });
  if (muted && inForce(muted, now)) throw appendRefused('muted');
  if (access.conversation.moderation?.frozen && !memberHolds(ctx, access, ['freeze'])) throw appendRefused('frozen');
}

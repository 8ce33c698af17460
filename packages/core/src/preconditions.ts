import type { Message, Permission, Restriction, Role } from '@parley/protocol';
import { inForce } from './moderation.js';
import { seesSeq } from './apply.js';
import { ChatError, errors } from './errors.js';
import { grantsIn, rolesHolding } from './permissions.js';
import type { AppendInput, ConversationRecord, MemberRecord } from './store.js';

/**
 * Why a store refused an append. Stores report a refusal with {@link appendRefused}, so every
 * store answers the same code and message for the same broken precondition.
 */
export type AppendRefusal =
  /** The conversation does not exist. */
  | 'no-conversation'
  /** `requireActiveMember` never was a member. */
  | 'never-member'
  /** `requireActiveMember` was a member and left (or was removed). */
  | 'not-active'
  /** The actor's role is not in `actorRoles`. */
  | 'actor-role'
  /** The subject of a member event (`draft.userId`) has a role outside `subjectRoles`. */
  | 'subject-role'
  /** `member.joined` for a user who is already an active member. */
  | 'already-member'
  /** `member.left` / `member.role` for a user who is not an active member. */
  | 'not-member'
  /** The target message (or the `replyTo` of a new message) does not exist or is not visible to the actor. */
  | 'no-target'
  /** The target message was deleted for everyone. */
  | 'target-deleted'
  /** The append would leave more active members than `maxMembers`. */
  | 'member-limit'
  /** The append would leave the conversation without an active owner. */
  | 'last-owner'
  /** The two members of a direct conversation: one has blocked the other. */
  | 'blocked'
  /** `moderated`: the actor, or the user a `member.joined` brings in, is banned from the conversation. */
  | 'banned'
  /** `moderated` `post` / `message`: the actor is muted in the conversation. */
  | 'muted'
  /** `moderated` `post` / `message`: the conversation is frozen and the actor's role lacks `freeze`. */
  | 'frozen'
  /** `moderated` `message`: slow mode, and the actor's last message was too recent (RATE_LIMITED, see {@link checkAppend}). */
  | 'slow-mode';

/** The ChatError a store throws for a refused precondition (one code and message per refusal). */
export function appendRefused(refusal: AppendRefusal, input?: Pick<AppendInput, 'maxMembers'> & { retryAfterMs?: number }): ChatError {
  switch (refusal) {
    case 'no-conversation':
    case 'never-member':
      return errors.noConversation();
    case 'not-active':
      return errors.forbidden('you are no longer a member of this conversation');
    case 'actor-role':
      return errors.forbidden('your role in this conversation does not allow this');
    case 'subject-role':
      return errors.forbidden('your role does not allow this on that member');
    case 'already-member':
      return errors.conflict('already a member');
    case 'not-member':
      return errors.conflict('not an active member');
    case 'no-target':
      return errors.noMessage();
    case 'target-deleted':
      return new ChatError('CONFLICT', 'the message was deleted');
    case 'member-limit':
      return errors.invalid(`a group has at most ${input?.maxMembers ?? 'the allowed number of'} members`);
    case 'last-owner':
      return errors.conflict('a conversation needs an owner: make someone else owner first');
    case 'blocked':
      return errors.forbidden('you cannot message this user');
    case 'banned':
      return errors.forbidden('banned from this conversation');
    case 'muted':
      return errors.forbidden('you are muted in this conversation');
    case 'frozen':
      return errors.forbidden('this conversation is frozen');
    case 'slow-mode':
      return new ChatError('RATE_LIMITED', 'slow mode: wait before sending another message', { retryAfterMs: input?.retryAfterMs ?? 1 });
  }
}

/** True when `error` is the refusal `refusal` (by code and message, so any copy of the package matches). */
export function isRefusal(error: unknown, refusal: AppendRefusal): boolean {
  const expected = appendRefused(refusal);
  const e = error as { code?: unknown; message?: unknown } | null;
  return e !== null && typeof e === 'object' && e.code === expected.code && (refusal === 'member-limit' || e.message === expected.message);
}

/** What a store must read, under the lock that orders the conversation's log, to check an append. */
export interface AppendNeeds {
  /** Member rows to read (the actor and the subject, when the input names them). */
  members: string[];
  /** The seq of the message to read: the draft's target, or a new message's `replyTo`. */
  message?: number;
  /** Whether the number of active owners is needed. */
  owners: boolean;
  /** Whether the block state between the two members of a direct conversation is needed. */
  blocks: boolean;
  /** Whether the restrictions (bans, mutes) of {@link members} in this conversation are needed. */
  restrictions: boolean;
}

/** What the store read (see {@link AppendNeeds}); absent parts were not needed. */
export interface AppendState {
  conversation: ConversationRecord;
  /** The rows of {@link AppendNeeds.members} that exist, by user id. */
  members: ReadonlyMap<string, MemberRecord>;
  /** The message at {@link AppendNeeds.message} as stored (not masked), or null. */
  message?: Message | null;
  /** Active owners right now. */
  owners?: number;
  /** True when either member of the direct conversation blocked the other. */
  blocked?: boolean;
  /** The restrictions of {@link AppendNeeds.members} in this conversation (expired ones may be included). */
  restrictions?: readonly Restriction[];
}

const subjectOf = (input: AppendInput): string | undefined => {
  const d = input.draft;
  return 'userId' in d && typeof d.userId === 'string' ? d.userId : undefined;
};

const targetOf = (input: AppendInput): number | undefined => {
  const d = input.draft;
  if ('target' in d) return d.target;
  if (d.type === 'message' && d.message.replyTo !== null) return d.message.replyTo;
  return undefined;
};

/** What the store must read to check `input` (call under the conversation's lock, before writing). */
export function appendNeeds(input: AppendInput): AppendNeeds {
  const members = new Set<string>();
  if (input.requireActiveMember !== undefined) members.add(input.requireActiveMember);
  const subject = subjectOf(input);
  if (subject !== undefined) members.add(subject);
  if (input.draft.type === 'message') members.add(input.draft.message.senderId);
  const message = targetOf(input);
  return {
    members: [...members],
    ...(message !== undefined ? { message } : {}),
    owners: input.keepOwner === true,
    blocks: input.notBlocked === true,
    restrictions: input.moderated !== undefined,
  };
}

/** True when the event would take an active owner away (leaves, or loses the owner role). */
function takesOwner(input: AppendInput, subject: MemberRecord | undefined): boolean {
  if (!subject || subject.leftSeq !== null || subject.role !== 'owner') return false;
  const d = input.draft;
  return d.type === 'member.left' || (d.type === 'member.role' && d.role !== 'owner');
}

/**
 * Check every precondition of `input` against `state`, the conversation as the store holds it
 * under its lock. Throws the refusal's ChatError ({@link appendRefused}); returns when the append
 * may go ahead. Every store calls this (or evaluates the same rules in its own query language, as
 * the Postgres send path does) so the rules are written once.
 */
export function checkAppend(input: AppendInput, state: AppendState): void {
  const refuse = (r: AppendRefusal): never => {
    throw appendRefused(r, input);
  };
  const { draft } = input;
  if (draft.type === 'conversation.created') throw errors.invalid('conversation.created cannot be appended');
  const actorId = input.requireActiveMember;
  const actor = actorId === undefined ? undefined : state.members.get(actorId);
  if (actorId !== undefined) {
    if (!actor) refuse('never-member');
    if (actor!.leftSeq !== null) refuse('not-active');
    if (input.actorRoles && !input.actorRoles.includes(actor!.role)) refuse('actor-role');
    if (input.permission) {
      const grants = grantsIn(input.permission.table, state.conversation.kind, state.conversation.permissions);
      if (!rolesHolding(grants, input.permission.needed).includes(actor!.role)) refuse('actor-role');
    }
  }
  const subjectId = subjectOf(input);
  const subject = subjectId === undefined ? undefined : state.members.get(subjectId);
  const subjectActive = subject !== undefined && subject.leftSeq === null;
  if (draft.type === 'member.joined' && subjectActive) refuse('already-member');
  if ((draft.type === 'member.left' || draft.type === 'member.role') && !subjectActive) refuse('not-member');
  if (input.subjectRoles && subject && !input.subjectRoles.includes(subject.role)) refuse('subject-role');
  const targetSeq = targetOf(input);
  if (targetSeq !== undefined) {
    const m = state.message ?? null;
    const viewer = actor ?? (draft.type === 'message' ? state.members.get(draft.message.senderId) : undefined);
    if (!m || targetSeq > state.conversation.lastSeq || (viewer !== undefined && !seesSeq(viewer, targetSeq))) refuse('no-target');
    if (input.targetNotDeleted && m!.deletedAt !== null) refuse('target-deleted');
  }
  if (input.maxMembers !== undefined && draft.type === 'member.joined' && state.conversation.memberCount + 1 > input.maxMembers) {
    refuse('member-limit');
  }
  if (input.keepOwner && takesOwner(input, subject) && (state.owners ?? 0) < 2) refuse('last-owner');
  if (input.notBlocked && state.conversation.kind === 'direct' && state.blocked) refuse('blocked');
  if (input.moderated) checkModerated(input, state, actor, subjectId);
}

/** The `moderated` preconditions (see {@link AppendInput.moderated}); `now` is the draft's time. */
function checkModerated(input: AppendInput, state: AppendState, actor: MemberRecord | undefined, subjectId: string | undefined): void {
  const now = input.draft.at;
  const restricted = (userId: string | undefined, kind: Restriction['kind']) =>
    userId !== undefined && (state.restrictions ?? []).some((r) => r.userId === userId && r.kind === kind && inForce(r, now));
  const actorId = input.requireActiveMember;
  if (restricted(actorId, 'ban') || (input.draft.type === 'member.joined' && restricted(subjectId, 'ban'))) throw appendRefused('banned');
  if (input.moderated === 'join' || !actor) return;
  if (restricted(actorId, 'mute')) throw appendRefused('muted');
  const { conversation } = state;
  const holds = (p: Permission) =>
    input.permission !== undefined && rolesHolding(grantsIn(input.permission.table, conversation.kind, conversation.permissions), [p]).includes(actor.role);
  if (conversation.moderation?.frozen && !holds('freeze')) throw appendRefused('frozen');
  const interval = conversation.moderation?.slowModeMs ?? null;
  if (input.moderated === 'message' && interval !== null && actor.lastPostAt != null && !holds('setSlowMode')) {
    const wait = actor.lastPostAt + interval - now;
    if (wait > 0) throw appendRefused('slow-mode', { retryAfterMs: wait });
  }
}

/** Roles that may manage a group or channel (members, roles, title, pins, moderation deletes). */
export const MANAGER_ROLES: readonly Role[] = ['owner', 'admin'];

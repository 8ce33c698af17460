import { OP_NAMES, type ConversationKind, type OpName } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { createWorld, expectCode, failure, snapshotOf, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** Membership state of the acting user. `blocked`: the peer blocked the actor; `blocking`: the actor blocked the peer. */
export type ActorState = 'owner' | 'admin' | 'member' | 'former' | 'never' | 'blocked' | 'blocking';

const STATES: Record<ConversationKind, ActorState[]> = {
  group: ['owner', 'admin', 'member', 'former', 'never'],
  channel: ['owner', 'admin', 'member', 'former', 'never'],
  direct: ['member', 'blocked', 'blocking', 'never'],
};

/** What the acting user may do in the scenario: `ok`, or the error code it must get. */
type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

/** A conversation built for one authorization case, seen from the acting user. */
export interface Scenario {
  w: World;
  kind: ConversationKind;
  state: ActorState;
  actor: string;
  conversationId: string;
  /** A member other than the actor: the one messages, roles and removals target. */
  target: string;
  /** A user in no conversation (to add). */
  fresh: string;
  /** Seq of a message the actor sent (another member's for `never`). */
  ownSeq: number;
  /** Seq of a message the target sent. */
  otherSeq: number;
  callId: string | null;
}

const ACTIVE: ActorState[] = ['owner', 'admin', 'member', 'blocked', 'blocking'];
const MANAGER: ActorState[] = ['owner', 'admin'];
const isIn = (s: ActorState, set: ActorState[]) => set.includes(s);
const F = 'FORBIDDEN' as const;

/** Active members may; former members and strangers get FORBIDDEN. */
const active = (_k: ConversationKind, s: ActorState): Outcome => (isIn(s, ACTIVE) ? 'ok' : F);
/** Active or former members may (reads of what they saw). */
const membership = (_k: ConversationKind, s: ActorState): Outcome => (s === 'never' ? F : 'ok');
/** Owners and admins of groups and channels. */
const manager = (k: ConversationKind, s: ActorState): Outcome => (k !== 'direct' && isIn(s, MANAGER) ? 'ok' : F);
/** Active, and in direct conversations no block either way. */
const unblocked = (k: ConversationKind, s: ActorState): Outcome => (isIn(s, ACTIVE) && !(k === 'direct' && (s === 'blocked' || s === 'blocking')) ? 'ok' : F);
/** Call participants (everyone active when the call started) act; anyone else: NOT_FOUND, as for a missing call. */
const participant = (ok: Outcome) => (_k: ConversationKind, s: ActorState): Outcome => (isIn(s, ACTIVE) ? ok : 'NOT_FOUND');
const anyone = (): Outcome => 'ok';

/** One row of the authorization matrix. */
export interface OpCase {
  op: OpName;
  label?: string;
  params: (s: Scenario) => Record<string, unknown>;
  outcome: (k: ConversationKind, s: ActorState) => Outcome;
  /** Needs a ringing call in the scenario. */
  call?: boolean;
  /** The params with the conversation (or call) replaced by one that does not exist. */
  missing?: (s: Scenario, nowhere: string) => Record<string, unknown>;
}

const inConv = (extra: (s: Scenario) => Record<string, unknown> = () => ({})) => ({
  params: (s: Scenario) => ({ conversationId: s.conversationId, ...extra(s) }),
  missing: (s: Scenario, nowhere: string) => ({ ...extra(s), conversationId: nowhere }),
});
const onCall = {
  params: (s: Scenario) => ({ callId: s.callId }),
  missing: (_s: Scenario, nowhere: string) => ({ callId: nowhere }),
  call: true,
};

/**
 * The authorization matrix: every operation of `OpParams`, with the outcome the rules give for
 * each conversation kind and actor state. This is the documented rule set (docs/concepts.md).
 */
export const AUTHORIZATION_CASES: OpCase[] = [
  // operations on the actor's own account and on other users: open to every user
  { op: 'me', params: () => ({}), outcome: anyone },
  { op: 'updateProfile', params: () => ({ statusText: 'busy' }), outcome: anyone },
  { op: 'getUsers', params: (s) => ({ ids: [s.target] }), outcome: anyone },
  { op: 'searchUsers', params: () => ({ query: 'target' }), outcome: anyone },
  { op: 'presence', params: (s) => ({ userIds: [s.target] }), outcome: anyone },
  { op: 'listContacts', params: () => ({}), outcome: anyone },
  { op: 'setContact', params: (s) => ({ userId: s.target, alias: 'T' }), outcome: anyone },
  { op: 'removeContact', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'block', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'unblock', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'openDirect', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'createGroup', params: (s) => ({ title: 'new group', memberIds: [s.target] }), outcome: anyone },
  { op: 'createChannel', params: () => ({ title: 'new channel' }), outcome: anyone },
  { op: 'listChannels', params: () => ({}), outcome: anyone },
  { op: 'inbox', params: () => ({}), outcome: anyone },
  { op: 'unreadTotal', params: () => ({}), outcome: anyone },
  { op: 'sync', params: () => ({}), outcome: anyone },
  { op: 'search', label: 'search (everywhere)', params: () => ({ query: 'msg' }), outcome: anyone },
  { op: 'callHistory', params: () => ({}), outcome: anyone },
  { op: 'registerPushDevice', params: () => ({ deviceId: 'phone', provider: 'webpush', token: 'token' }), outcome: anyone },
  { op: 'removePushDevice', params: () => ({ deviceId: 'phone' }), outcome: anyone },
  { op: 'listPushDevices', params: () => ({}), outcome: anyone },
  // conversations and membership
  { op: 'getConversation', ...inConv(), outcome: (k, s) => (k === 'channel' ? 'ok' : membership(k, s)) },
  { op: 'listMembers', ...inConv(), outcome: active },
  { op: 'addMembers', ...inConv((s) => ({ userIds: [s.fresh] })), outcome: manager },
  { op: 'removeMember', ...inConv((s) => ({ userId: s.target })), outcome: manager },
  { op: 'setRole', ...inConv((s) => ({ userId: s.target, role: 'admin' })), outcome: manager },
  { op: 'leave', ...inConv(), outcome: (k, s) => (k !== 'direct' ? active(k, s) : F) },
  { op: 'join', ...inConv(), outcome: (k) => (k === 'channel' ? 'ok' : F) },
  { op: 'updateConversation', ...inConv(() => ({ title: 'renamed' })), outcome: manager },
  { op: 'mute', ...inConv(() => ({ until: null })), outcome: active },
  // messages
  { op: 'send', ...inConv(() => ({ clientId: 'auth', text: 'hello' })), outcome: unblocked },
  { op: 'edit', label: 'edit (own message)', ...inConv((s) => ({ seq: s.ownSeq, text: 'changed' })), outcome: active },
  { op: 'edit', label: 'edit (another member’s message)', ...inConv((s) => ({ seq: s.otherSeq, text: 'changed' })), outcome: () => F },
  { op: 'delete', label: 'delete for everyone (own message)', ...inConv((s) => ({ seq: s.ownSeq, scope: 'everyone' })), outcome: active },
  { op: 'delete', label: 'delete for everyone (another member’s message)', ...inConv((s) => ({ seq: s.otherSeq, scope: 'everyone' })), outcome: manager },
  { op: 'delete', label: 'delete for me', ...inConv((s) => ({ seq: s.otherSeq, scope: 'me' })), outcome: membership },
  { op: 'react', ...inConv((s) => ({ seq: s.otherSeq, emoji: '👍' })), outcome: active },
  { op: 'pin', ...inConv((s) => ({ seq: s.otherSeq, pinned: true })), outcome: (k, s) => (k === 'direct' ? active(k, s) : manager(k, s)) },
  { op: 'history', ...inConv(), outcome: membership },
  { op: 'markDelivered', ...inConv((s) => ({ seq: s.otherSeq })), outcome: membership },
  { op: 'markRead', ...inConv((s) => ({ seq: s.otherSeq })), outcome: membership },
  // strangers are answered `ok` with the conversation in `skipped`, as for one that does not exist
  {
    op: 'markDeliveredMany',
    params: (s) => ({ receipts: [{ conversationId: s.conversationId, seq: s.otherSeq }] }),
    outcome: anyone,
  },
  { op: 'receipts', ...inConv(), outcome: active },
  { op: 'search', label: 'search (in a conversation)', ...inConv(() => ({ query: 'msg' })), outcome: membership },
  { op: 'hidden', ...inConv(), outcome: membership },
  // calls
  { op: 'startCall', ...inConv(() => ({ media: 'audio' })), outcome: unblocked },
  { op: 'answerCall', ...onCall, outcome: participant('ok') },
  { op: 'declineCall', ...onCall, outcome: participant('ok') },
  { op: 'endCall', label: 'endCall (while ringing, not the caller)', ...onCall, outcome: participant('CONFLICT') },
  // moderation: owners and admins of groups and channels (the default table)
  { op: 'ban', ...inConv((s) => ({ userId: s.target, reason: 'spam' })), outcome: manager },
  { op: 'unban', ...inConv((s) => ({ userId: s.target })), outcome: manager },
  { op: 'muteMember', ...inConv((s) => ({ userId: s.target, durationMs: 60_000 })), outcome: manager },
  { op: 'unmuteMember', ...inConv((s) => ({ userId: s.target })), outcome: manager },
  { op: 'freeze', ...inConv(() => ({ frozen: true })), outcome: manager },
  { op: 'setSlowMode', ...inConv(() => ({ intervalMs: 5000 })), outcome: manager },
  { op: 'listRestrictions', ...inConv(), outcome: manager },
  // reports: any active member files one; the queue is for owners and admins of groups and channels
  { op: 'report', ...inConv((s) => ({ seq: s.otherSeq, reason: 'spam' })), outcome: active },
  { op: 'listReports', ...inConv(), outcome: manager },
  { op: 'reportCounts', ...inConv(), outcome: manager },
  { op: 'resolveReport', label: 'resolveReport (no such report)', params: (s) => ({ conversationId: s.conversationId, reportId: s.fresh, action: 'dismiss' }), outcome: (k, s) => (manager(k, s) === 'ok' ? 'NOT_FOUND' : F) },
];

/** Build the scenario of one case: a fresh conversation of `kind` with the actor in `state`. */
export async function scenario(w: World, kind: ConversationKind, state: ActorState, withCall: boolean): Promise<Scenario> {
  const [owner, admin, member, target, former, never, fresh] = await w.users('owner', 'admin', 'member', 'target', 'former', 'never', 'fresh');
  const say = async (who: string, conversationId: string) =>
    (await w.chat.as(who).send({ conversationId, clientId: `own-${who}`, text: `msg from ${who}` })).seq;
  if (kind === 'direct') {
    const actor = state === 'never' ? never! : member!;
    const d = await w.chat.as(member!).openDirect({ userId: target! });
    const mine = await say(member!, d.id);
    const theirs = await say(target!, d.id);
    let callId: string | null = null;
    if (withCall) callId = (await w.chat.as(target!).startCall({ conversationId: d.id, media: 'audio' })).id;
    if (state === 'blocked') await w.chat.as(target!).block({ userId: member! });
    if (state === 'blocking') await w.chat.as(member!).block({ userId: target! });
    return { w, kind, state, actor, conversationId: d.id, target: target!, fresh: fresh!, ownSeq: state === 'never' ? theirs : mine, otherSeq: theirs, callId };
  }
  const c =
    kind === 'group'
      ? await w.chat.as(owner!).createGroup({ title: 'auth', memberIds: [admin!, member!, target!, former!] })
      : await w.chat.as(owner!).createChannel({ title: 'auth' });
  if (kind === 'channel') for (const u of [admin!, member!, target!, former!]) await w.chat.as(u).join({ conversationId: c.id });
  await w.chat.as(owner!).setRole({ conversationId: c.id, userId: admin!, role: 'admin' });
  const seqs = new Map<string, number>();
  for (const u of [owner!, admin!, member!, target!, former!]) seqs.set(u, await say(u, c.id));
  await w.chat.as(former!).leave({ conversationId: c.id });
  await w.chat.as(owner!).send({ conversationId: c.id, clientId: 'after', text: 'msg after former left' });
  let callId: string | null = null;
  if (withCall) callId = (await w.chat.as(target!).startCall({ conversationId: c.id, media: 'video' })).id;
  const actor = { owner, admin, member, former, never, blocked: member, blocking: member }[state]!;
  return { w, kind, state, actor, conversationId: c.id, target: target!, fresh: fresh!, ownSeq: seqs.get(actor) ?? seqs.get(target!)!, otherSeq: seqs.get(target!)!, callId };
}

/** Invariant 6: every operation × conversation kind × role / membership state × block state. */
export function authorizationSuite(o: ResolvedStoreOptions): void {
  describe('authorization', () => {
    // a clean store per case (reset when the adapter offers it): the denied-case snapshots then
    // dump one scenario, not everything earlier cases wrote
    const store = useStore(o);

    for (const c of AUTHORIZATION_CASES) {
      describe(c.label ?? c.op, () => {
        for (const kind of ['group', 'channel', 'direct'] as const) {
          for (const state of STATES[kind]) {
            const want = c.outcome(kind, state);
            it(`${kind}, ${state}: ${want === 'ok' ? 'allowed' : want}`, async () => {
              const w = createWorld(store());
              const s = await scenario(w, kind, state, c.call === true);
              const run = (params: Record<string, unknown>) => w.chat.as(s.actor).call(c.op, params);
              if (want === 'ok') {
                await expect(run(c.params(s))).resolves.toBeDefined();
                return;
              }
              const before = await snapshotOf(o, w);
              const got = await expectCode(run(c.params(s)), want);
              expect(await snapshotOf(o, w), 'a denied operation changed the store').toBe(before);
              if (c.missing && (state === 'never' || want === 'NOT_FOUND')) {
                // no existence leak: a real conversation (or call) and a missing one answer alike
                const nowhere = w.id('does-not-exist');
                expect(await failure(run(c.missing(s, nowhere)))).toEqual(got);
              }
            });
          }
        }
      });
    }

    it('the matrix covers every operation', () => {
      expect([...new Set(AUTHORIZATION_CASES.map((c) => c.op))].sort()).toEqual([...OP_NAMES].sort());
    });

    describe('role rules', () => {
      it('admins cannot remove, demote or promote owners and admins, nor grant owner; they may step down', async () => {
        const w = createWorld(store());
        const [o1, a1, a2, m] = await w.users('o1', 'a1', 'a2', 'm');
        const g = await w.chat.as(o1!).createGroup({ title: 'roles', memberIds: [a1!, a2!, m!] });
        for (const u of [a1!, a2!]) await w.chat.as(o1!).setRole({ conversationId: g.id, userId: u, role: 'admin' });
        await expectCode(w.chat.as(a1!).removeMember({ conversationId: g.id, userId: a2! }), 'FORBIDDEN');
        await expectCode(w.chat.as(a1!).removeMember({ conversationId: g.id, userId: o1! }), 'FORBIDDEN');
        await expectCode(w.chat.as(a1!).setRole({ conversationId: g.id, userId: o1!, role: 'member' }), 'FORBIDDEN');
        await expectCode(w.chat.as(a1!).setRole({ conversationId: g.id, userId: m!, role: 'owner' }), 'FORBIDDEN');
        // admins manage members, owners manage admins: no demoting another admin
        await expectCode(w.chat.as(a1!).setRole({ conversationId: g.id, userId: a2!, role: 'member' }), 'FORBIDDEN');
        expect((await w.chat.as(a1!).setRole({ conversationId: g.id, userId: m!, role: 'admin' })).role).toBe('admin');
        await expectCode(w.chat.as(a1!).setRole({ conversationId: g.id, userId: m!, role: 'member' }), 'FORBIDDEN');
        expect((await w.chat.as(o1!).setRole({ conversationId: g.id, userId: m!, role: 'member' })).role).toBe('member');
        expect((await w.chat.as(o1!).setRole({ conversationId: g.id, userId: a2!, role: 'member' })).role).toBe('member');
        expect((await w.chat.as(a1!).removeMember({ conversationId: g.id, userId: a2! })).leftSeq).not.toBeNull();
        // an admin may step down
        expect((await w.chat.as(a1!).setRole({ conversationId: g.id, userId: a1!, role: 'member' })).role).toBe('member');
      });

      it('the last owner cannot demote itself; leaving hands ownership to the oldest admin', async () => {
        const w = createWorld(store());
        const [o1, m1, a1] = await w.users('o1', 'm1', 'a1');
        const g = await w.chat.as(o1!).createGroup({ title: 'succession', memberIds: [m1!, a1!] });
        await w.chat.as(o1!).setRole({ conversationId: g.id, userId: a1!, role: 'admin' });
        await expectCode(w.chat.as(o1!).setRole({ conversationId: g.id, userId: o1!, role: 'member' }), 'CONFLICT');
        await w.chat.as(o1!).leave({ conversationId: g.id });
        const members = (await w.chat.as(m1!).listMembers({ conversationId: g.id })).items;
        expect(Object.fromEntries(members.map((m) => [m.userId, m.role]))).toEqual({ [a1!]: 'owner', [m1!]: 'member' });
      });

      it('senders edit only their own messages; admins delete others’ messages in groups only', async () => {
        const w = createWorld(store());
        const [o1, m1] = await w.users('o1', 'm1');
        const g = await w.chat.as(o1!).createGroup({ title: 'mod', memberIds: [m1!] });
        const msg = await w.chat.as(m1!).send({ conversationId: g.id, clientId: 'x', text: 'spam' });
        await expectCode(w.chat.as(o1!).edit({ conversationId: g.id, seq: msg.seq, text: 'ham' }), 'FORBIDDEN');
        await w.chat.as(o1!).delete({ conversationId: g.id, seq: msg.seq, scope: 'everyone' });
        expect((await w.store.getMessage(g.id, msg.seq))!.deletedAt).not.toBeNull();
        await expectCode(w.chat.as(m1!).edit({ conversationId: g.id, seq: msg.seq, text: 'ham' }), 'CONFLICT');
      });

      it('a block in either direction stops direct messages and calls, and lifting it restores them', async () => {
        const w = createWorld(store());
        const [a, b] = await w.users('a', 'b');
        const d = await w.chat.as(a!).openDirect({ userId: b! });
        await w.chat.as(b!).block({ userId: a! });
        for (const who of [a!, b!]) {
          await expectCode(w.chat.as(who).send({ conversationId: d.id, clientId: `x${who}`, text: 'x' }), 'FORBIDDEN');
          await expectCode(w.chat.as(who).startCall({ conversationId: d.id, media: 'audio' }), 'FORBIDDEN');
        }
        await w.chat.as(b!).unblock({ userId: a! });
        expect((await w.chat.as(a!).send({ conversationId: d.id, clientId: 'y', text: 'y' })).seq).toBe(2);
      });

      it('errors thrown for denied operations are ChatErrors with a stable code', async () => {
        const w = createWorld(store());
        const [a] = await w.users('a');
        const error = await w.chat.as(a!).history({ conversationId: w.id('x') }).catch((e: unknown) => e);
        expect(isChatError(error, 'FORBIDDEN')).toBe(true);
      });
    });
  });
}

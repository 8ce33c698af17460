/**
 * Authorization over real sockets: every operation (engine and wire-only) × conversation kind ×
 * role / membership state × block state. Allowed requests succeed; denied ones get the documented
 * code, change nothing, answer exactly like the same request about something that does not exist,
 * and no event of the conversation is pushed to a socket of someone outside it.
 *
 * The expected outcomes are written here from the rules in docs/concepts.md ("Authorization and
 * errors"), independently of the engine's own conformance matrix.
 */
import { OP_NAMES, type ConversationKind } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireSocket, type Reply } from '../support/wire.js';
import { snapshot, startWorld, type World } from '../support/world.js';

type State = 'owner' | 'admin' | 'member' | 'former' | 'never' | 'blocked' | 'blocking';
type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

const STATES: Record<ConversationKind, State[]> = {
  group: ['owner', 'admin', 'member', 'former', 'never'],
  channel: ['owner', 'admin', 'member', 'former', 'never'],
  direct: ['member', 'blocked', 'blocking', 'never'],
};

interface Scene {
  kind: ConversationKind;
  state: State;
  actor: string;
  /** Another current member: the target of member operations and sender of `otherSeq`. */
  target: string;
  /** A user in no conversation. */
  fresh: string;
  /** A user never in the conversation whose socket watches for leaked pushes. */
  outsider: string;
  conversationId: string;
  ownSeq: number;
  otherSeq: number;
  /** Seq of a message sent after `former` left (outside the former member's window). */
  laterSeq: number;
  callId: string | null;
  users: string[];
}

const current = (s: State) => s !== 'former' && s !== 'never';
const everMember = (s: State) => s !== 'never';
const manager = (k: ConversationKind, s: State): Outcome => (k !== 'direct' && (s === 'owner' || s === 'admin') ? 'ok' : 'FORBIDDEN');
const ifCurrent = (_k: ConversationKind, s: State): Outcome => (current(s) ? 'ok' : 'FORBIDDEN');
const ifEver = (_k: ConversationKind, s: State): Outcome => (everMember(s) ? 'ok' : 'FORBIDDEN');
const unblocked = (k: ConversationKind, s: State): Outcome => (current(s) && !(k === 'direct' && (s === 'blocked' || s === 'blocking')) ? 'ok' : 'FORBIDDEN');
const participant = (then: Outcome) => (_k: ConversationKind, s: State): Outcome => (current(s) ? then : 'NOT_FOUND');
const anyone = (): Outcome => 'ok';

interface Case {
  op: string;
  label?: string;
  params: (s: Scene) => Record<string, unknown>;
  outcome: (k: ConversationKind, s: State) => Outcome;
  call?: boolean;
  /** The same params about a conversation / call / message that does not exist. */
  missing?: (s: Scene) => Record<string, unknown>;
}

const NOWHERE = '01900000-0000-7000-8000-000000000000';
const conv = (extra: (s: Scene) => Record<string, unknown> = () => ({})) => ({
  params: (s: Scene) => ({ conversationId: s.conversationId, ...extra(s) }),
  missing: (s: Scene) => ({ ...extra(s), conversationId: NOWHERE }),
});
const call = { params: (s: Scene) => ({ callId: s.callId }), missing: () => ({ callId: NOWHERE }), call: true };

const CASES: Case[] = [
  { op: 'me', params: () => ({}), outcome: anyone },
  { op: 'updateProfile', params: () => ({ statusText: 'away' }), outcome: anyone },
  { op: 'getUsers', params: (s) => ({ ids: [s.target] }), outcome: anyone },
  { op: 'searchUsers', params: () => ({ query: 'name' }), outcome: anyone },
  { op: 'presence', params: (s) => ({ userIds: [s.target] }), outcome: anyone },
  { op: 'listContacts', params: () => ({}), outcome: anyone },
  { op: 'setContact', params: (s) => ({ userId: s.target, alias: 'x' }), outcome: anyone },
  { op: 'removeContact', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'block', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'unblock', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'openDirect', params: (s) => ({ userId: s.target }), outcome: anyone },
  { op: 'createGroup', params: (s) => ({ title: 'g', memberIds: [s.target] }), outcome: anyone },
  { op: 'createChannel', params: () => ({ title: 'c' }), outcome: anyone },
  { op: 'listChannels', params: () => ({}), outcome: anyone },
  { op: 'inbox', params: () => ({}), outcome: anyone },
  { op: 'unreadTotal', params: () => ({}), outcome: anyone },
  { op: 'sync', params: () => ({}), outcome: anyone },
  { op: 'search', label: 'search everywhere', params: () => ({ query: 'hello' }), outcome: anyone },
  { op: 'callHistory', params: () => ({}), outcome: anyone },
  { op: 'registerPushDevice', params: () => ({ deviceId: 'phone', provider: 'webpush', token: 'token' }), outcome: anyone },
  { op: 'removePushDevice', params: () => ({ deviceId: 'phone' }), outcome: anyone },
  { op: 'listPushDevices', params: () => ({}), outcome: anyone },
  { op: 'getConversation', ...conv(), outcome: (k, s) => (k === 'channel' ? 'ok' : ifEver(k, s)) },
  { op: 'listMembers', ...conv(), outcome: ifCurrent },
  { op: 'addMembers', ...conv((s) => ({ userIds: [s.fresh] })), outcome: manager },
  { op: 'removeMember', ...conv((s) => ({ userId: s.target })), outcome: manager },
  { op: 'setRole', ...conv((s) => ({ userId: s.target, role: 'admin' })), outcome: manager },
  { op: 'updateConversation', ...conv(() => ({ title: 'renamed' })), outcome: manager },
  { op: 'leave', ...conv(), outcome: (k, s) => (k === 'direct' ? 'FORBIDDEN' : ifCurrent(k, s)) },
  { op: 'join', ...conv(), outcome: (k) => (k === 'channel' ? 'ok' : 'FORBIDDEN') },
  { op: 'mute', ...conv(() => ({ until: null })), outcome: ifCurrent },
  { op: 'send', ...conv(() => ({ clientId: 'authz', text: 'hello there' })), outcome: unblocked },
  { op: 'edit', label: 'edit own message', ...conv((s) => ({ seq: s.ownSeq, text: 'changed' })), outcome: ifCurrent },
  { op: 'edit', label: "edit another's message", ...conv((s) => ({ seq: s.otherSeq, text: 'changed' })), outcome: () => 'FORBIDDEN' },
  { op: 'delete', label: 'delete own for everyone', ...conv((s) => ({ seq: s.ownSeq, scope: 'everyone' })), outcome: ifCurrent },
  { op: 'delete', label: "delete another's for everyone", ...conv((s) => ({ seq: s.otherSeq, scope: 'everyone' })), outcome: manager },
  { op: 'delete', label: 'delete for me', ...conv((s) => ({ seq: s.otherSeq, scope: 'me' })), outcome: ifEver },
  { op: 'react', ...conv((s) => ({ seq: s.otherSeq, emoji: '🙂' })), outcome: ifCurrent },
  { op: 'pin', ...conv((s) => ({ seq: s.otherSeq, pinned: true })), outcome: (k, s) => (k === 'direct' ? ifCurrent(k, s) : manager(k, s)) },
  { op: 'history', ...conv(), outcome: ifEver },
  { op: 'markDelivered', ...conv((s) => ({ seq: s.otherSeq })), outcome: ifEver },
  { op: 'markRead', ...conv((s) => ({ seq: s.otherSeq })), outcome: ifEver },
  { op: 'markDeliveredMany', params: (s) => ({ receipts: [{ conversationId: s.conversationId, seq: s.otherSeq }] }), outcome: () => 'ok' },
  { op: 'receipts', ...conv(), outcome: ifCurrent },
  { op: 'search', label: 'search in a conversation', ...conv(() => ({ query: 'hello' })), outcome: ifEver },
  { op: 'hidden', ...conv(), outcome: ifEver },
  { op: 'startCall', ...conv(() => ({ media: 'audio' })), outcome: unblocked },
  { op: 'answerCall', ...call, outcome: participant('ok') },
  { op: 'declineCall', ...call, outcome: participant('ok') },
  { op: 'endCall', label: 'endCall while ringing (not the caller)', ...call, outcome: participant('CONFLICT') },
  // moderation (docs/moderation.md): owners and admins of groups and channels
  { op: 'ban', ...conv((s) => ({ userId: s.target, reason: 'spam' })), outcome: manager },
  { op: 'unban', ...conv((s) => ({ userId: s.target })), outcome: manager },
  { op: 'muteMember', ...conv((s) => ({ userId: s.target, durationMs: 60_000 })), outcome: manager },
  { op: 'unmuteMember', ...conv((s) => ({ userId: s.target })), outcome: manager },
  { op: 'freeze', ...conv(() => ({ frozen: true })), outcome: manager },
  { op: 'setSlowMode', ...conv(() => ({ intervalMs: 5000 })), outcome: manager },
  { op: 'listRestrictions', ...conv(), outcome: manager },
  // reports: any current member files one; the queue is for owners and admins of groups and channels
  { op: 'report', ...conv((s) => ({ seq: s.otherSeq, reason: 'spam' })), outcome: ifCurrent },
  { op: 'listReports', ...conv(), outcome: manager },
  { op: 'reportCounts', ...conv(), outcome: manager },
  { op: 'resolveReport', label: 'resolveReport of a report that does not exist', params: (s) => ({ conversationId: s.conversationId, reportId: NOWHERE, action: 'dismiss' }), outcome: (k, s) => (manager(k, s) === 'ok' ? 'NOT_FOUND' : 'FORBIDDEN') },
  // wire-only operations
  { op: 'typing', ...conv(() => ({ typing: true })), outcome: unblocked },
];

let w: World;
let n = 0;

/** Build a fresh conversation of `kind` with the actor in `state` (every scene has its own users). */
async function scene(kind: ConversationKind, state: State, withCall: boolean, watch: (outsider: string) => Promise<void>): Promise<Scene> {
  const p = `s${++n}`;
  const [owner, admin, member, target, former, never, fresh, outsider] = ['owner', 'admin', 'member', 'target', 'former', 'never', 'fresh', 'outsider'].map((r) => `${p}-${r}`) as [string, string, string, string, string, string, string, string];
  const users = [owner, admin, member, target, former, never, fresh, outsider];
  for (const u of users) await w.chat.upsertUser({ id: u, displayName: `name ${u}` });
  await watch(state === 'never' ? never : outsider);
  const say = async (who: string, conversationId: string, text = `hello from ${who}`) =>
    (await w.chat.as(who).send({ conversationId, clientId: `c-${who}-${text.length}`, text })).seq;
  if (kind === 'direct') {
    const d = await w.chat.as(member).openDirect({ userId: target });
    const mine = await say(member, d.id);
    const theirs = await say(target, d.id);
    const callId = withCall ? (await w.chat.as(target).startCall({ conversationId: d.id, media: 'audio' })).id : null;
    if (state === 'blocked') await w.chat.as(target).block({ userId: member });
    if (state === 'blocking') await w.chat.as(member).block({ userId: target });
    const actor = state === 'never' ? never : member;
    return { kind, state, actor, target, fresh, outsider, conversationId: d.id, ownSeq: state === 'never' ? theirs : mine, otherSeq: theirs, laterSeq: theirs, callId, users };
  }
  const c = kind === 'group'
    ? await w.chat.as(owner).createGroup({ title: 'room', memberIds: [admin, member, target, former] })
    : await w.chat.as(owner).createChannel({ title: 'room' });
  if (kind === 'channel') for (const u of [admin, member, target, former]) await w.chat.as(u).join({ conversationId: c.id });
  await w.chat.as(owner).setRole({ conversationId: c.id, userId: admin, role: 'admin' });
  const seqs = new Map<string, number>();
  for (const u of [owner, admin, member, target, former]) seqs.set(u, await say(u, c.id));
  await w.chat.as(former).leave({ conversationId: c.id });
  const laterSeq = await say(target, c.id, 'hello after the former member left');
  const callId = withCall ? (await w.chat.as(target).startCall({ conversationId: c.id, media: 'video' })).id : null;
  const actor = { owner, admin, member, former, never, blocked: member, blocking: member }[state];
  return { kind, state, actor, target, fresh, outsider, conversationId: c.id, ownSeq: seqs.get(actor) ?? seqs.get(target)!, otherSeq: seqs.get(target)!, laterSeq, callId, users };
}

const codeOf = (r: Reply) => (r.ok ? 'ok' : r.error.code);
const errorOf = (r: Reply) => (r.ok ? null : { code: r.error.code, message: r.error.message });

/** Pushes about `conversationId` that reached a socket. */
const leaked = (s: WireSocket, conversationId: string) =>
  s.pushes.filter((p) => (p.ev === 'event' && p.event.conversationId === conversationId) || (p.ev === 'receipt' && p.receipt.conversationId === conversationId) || (p.ev === 'typing' && p.conversationId === conversationId));

beforeAll(async () => {
  w = await startWorld([], { limits: { ratePerSecond: 1000, rateBurst: 1000, userRatePerSecond: 1000, userRateBurst: 1000 } });
});
afterAll(() => w.close());

describe('authorization over the wire', () => {
  it('the matrix covers every engine operation and the conversation-scoped wire ones', () => {
    expect([...new Set(CASES.map((c) => c.op))].filter((op) => op !== 'typing').sort()).toEqual([...OP_NAMES].sort());
  });

  for (const c of CASES) {
    describe(c.label ?? c.op, () => {
      for (const kind of ['group', 'channel', 'direct'] as const) {
        for (const state of STATES[kind]) {
          const want = c.outcome(kind, state);
          it(`${kind}, ${state}: ${want === 'ok' ? 'allowed' : want}`, async () => {
            let watcher: WireSocket | null = null;
            const s = await scene(kind, state, c.call === true, async (outsider) => {
              watcher = new WireSocket(w.host.url, { token: w.host.token(outsider) });
              await watcher.ready();
            });
            const actor = state === 'never' ? watcher! : await (async () => {
              const sock = new WireSocket(w.host.url, { token: w.host.token(s.actor) });
              await sock.ready();
              return sock;
            })();
            try {
              const before = want === 'ok' ? '' : await snapshot(w.chat, s.users);
              const r = await actor.request(c.op, c.params(s));
              expect(codeOf(r), JSON.stringify(r)).toBe(want);
              if (want !== 'ok') {
                expect(await snapshot(w.chat, s.users), 'a denied request changed the state').toBe(before);
                if (c.missing && (state === 'never' || want === 'NOT_FOUND')) {
                  const r2 = await actor.request(c.op, c.missing(s));
                  expect(errorOf(r2), 'a real id and a missing one must answer alike').toEqual(errorOf(r));
                }
              }
              // nobody outside the conversation heard anything about it (a stranger who just joined a channel is inside)
              await watcher!.flush();
              if (!(c.op === 'join' && want === 'ok')) expect(leaked(watcher!, s.conversationId)).toEqual([]);
            } finally {
              actor.close();
              watcher!.close();
            }
          });
        }
      }
    });
  }
});

describe('no existence leaks for messages and windows', () => {
  it('a former member gets the same answer for a message sent after leaving as for a seq that never existed', async () => {
    const s = await scene('group', 'former', false, async () => {});
    const sock = new WireSocket(w.host.url, { token: w.host.token(s.actor) });
    await sock.ready();
    for (const [op, extra] of [['delete', { scope: 'me' }], ['react', { emoji: '🙂' }], ['pin', { pinned: true }]] as const) {
      const later = await sock.request(op, { conversationId: s.conversationId, seq: s.laterSeq, ...extra });
      const never = await sock.request(op, { conversationId: s.conversationId, seq: 999_999, ...extra });
      expect(errorOf(later), op).toEqual(errorOf(never));
      expect(later.ok).toBe(false);
    }
    const history = await sock.ok<{ events: Array<{ seq: number }> }>('history', { conversationId: s.conversationId, after: 0, limit: 200 });
    expect(history.events.every((e) => e.seq < s.laterSeq)).toBe(true);
    const hits = await sock.ok<{ items: Array<{ seq: number }> }>('search', { query: 'former member left' });
    expect(hits.items).toEqual([]);
    sock.close();
  });

  it('strangers get one answer for a group, a direct chat and nothing at all, on every conversation operation', async () => {
    const g = await scene('group', 'never', false, async () => {});
    const d = await scene('direct', 'never', false, async () => {});
    const sock = new WireSocket(w.host.url, { token: w.host.token(g.actor) });
    await sock.ready();
    for (const c of CASES.filter((x) => x.missing && !x.call)) {
      const onGroup = errorOf(await sock.request(c.op, c.params(g)));
      const onDirect = errorOf(await sock.request(c.op, { ...c.params(g), conversationId: d.conversationId }));
      const onNothing = errorOf(await sock.request(c.op, c.missing!(g)));
      if (c.op === 'getConversation' || c.op === 'join') continue; // channels are public; groups answer like nothing below
      expect(onGroup, c.label ?? c.op).toEqual(onNothing);
      expect(onDirect, c.label ?? c.op).toEqual(onNothing);
    }
    sock.close();
  });
});

/**
 * Moderation over real sockets: what a banned, muted, frozen-out or slowed-down user can still do
 * (read) and cannot (join, post, react, type, come back), with the exact error frames, no change to
 * the state on a refusal, and no push about the conversation to a banned user's socket afterwards.
 * The op × role matrix of the moderation ops themselves is in authorization.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply, WireSocket } from '../support/wire.js';
import { snapshot, startWorld, type World } from '../support/world.js';

let w: World;
let n = 0;

const errorOf = (r: Reply) => (r.ok ? null : { code: r.error.code, message: r.error.message });

/** A channel with an owner, an admin, a member and a bystander, each with a socket. */
async function channel() {
  const p = `m${++n}`;
  const [owner, admin, member, other] = ['owner', 'admin', 'member', 'other'].map((r) => `${p}-${r}`) as [string, string, string, string];
  for (const u of [owner, admin, member, other]) await w.chat.upsertUser({ id: u, displayName: u });
  const c = await w.chat.as(owner).createChannel({ title: 'public' });
  for (const u of [admin, member, other]) await w.chat.as(u).join({ conversationId: c.id });
  await w.chat.as(owner).setRole({ conversationId: c.id, userId: admin, role: 'admin' });
  const seq = (await w.chat.as(other).send({ conversationId: c.id, clientId: 'x', text: 'hello' })).seq;
  const sock = async (u: string) => w.socket(u);
  return { id: c.id, owner, admin, member, other, seq, users: [owner, admin, member, other], admins: await sock(admin), members: await sock(member) };
}

/** Each request must be refused with `error`, and leave the state as it was. */
async function refusedAlike(sock: WireSocket, users: string[], requests: Array<[string, Record<string, unknown>]>, error: { code: string; message: string }) {
  const before = await snapshot(w.chat, users);
  for (const [op, params] of requests) expect(errorOf(await sock.request(op, params)), op).toEqual(error);
  expect(await snapshot(w.chat, users), 'a refused request changed the state').toBe(before);
}

beforeAll(async () => {
  w = await startWorld([], { limits: { ratePerSecond: 1000, rateBurst: 1000, userRatePerSecond: 1000, userRateBurst: 1000 } });
});
afterAll(() => w.close());

describe('moderation over the wire', () => {
  it('banned: removed at once, cannot join, be re-added, send, react or type, and hears nothing more', async () => {
    const c = await channel();
    const ban = await c.admins.ok<{ kind: string; reason: string }>('ban', { conversationId: c.id, userId: c.member, reason: 'spam' });
    expect(ban).toMatchObject({ kind: 'ban', reason: 'spam' });
    await c.members.flush();
    const heard = c.members.pushes.filter((p) => p.ev === 'event' && p.event.conversationId === c.id).map((p) => (p.ev === 'event' ? p.event.type : ''));
    expect(heard.slice(-2)).toEqual(['moderation', 'member.left']);
    const pushesBefore = c.members.pushes.length;
    const banned = { code: 'FORBIDDEN', message: 'banned from this conversation' };
    await refusedAlike(c.members, c.users, [['join', { conversationId: c.id }]], banned);
    const owner = await w.socket(c.owner);
    await refusedAlike(owner, c.users, [['addMembers', { conversationId: c.id, userIds: [c.member] }]], banned);
    const gone = { code: 'FORBIDDEN', message: 'you are no longer a member of this conversation' };
    await refusedAlike(
      c.members,
      c.users,
      [
        ['send', { conversationId: c.id, clientId: 'b', text: 'back' }],
        ['react', { conversationId: c.id, seq: c.seq, emoji: '👍' }],
        ['typing', { conversationId: c.id, typing: true }],
      ],
      gone,
    );
    // the channel goes on without them
    await c.admins.ok('send', { conversationId: c.id, clientId: 'after', text: 'after the ban' });
    await c.members.flush();
    expect(c.members.pushes.slice(pushesBefore).filter((p) => p.ev === 'event' || p.ev === 'typing')).toEqual([]);
    // unban: they may come back
    expect(await c.admins.ok('unban', { conversationId: c.id, userId: c.member })).toEqual({ lifted: true });
    expect(await c.members.ok<{ leftSeq: null }>('join', { conversationId: c.id })).toMatchObject({ leftSeq: null });
  });

  it('muted: reads, but cannot send, edit, react or type', async () => {
    const c = await channel();
    const own = await c.members.ok<{ seq: number }>('send', { conversationId: c.id, clientId: 'own', text: 'mine' });
    await c.admins.ok('muteMember', { conversationId: c.id, userId: c.member, durationMs: 600_000, reason: 'cool down' });
    await refusedAlike(
      c.members,
      c.users,
      [
        ['send', { conversationId: c.id, clientId: 'm', text: 'let me talk' }],
        ['edit', { conversationId: c.id, seq: own.seq, text: 'edited' }],
        ['react', { conversationId: c.id, seq: c.seq, emoji: '👍' }],
        ['typing', { conversationId: c.id, typing: true }],
      ],
      { code: 'FORBIDDEN', message: 'you are muted in this conversation' },
    );
    expect((await c.members.ok<{ events: unknown[] }>('history', { conversationId: c.id })).events.length).toBeGreaterThan(0);
    const list = await c.admins.ok<{ items: Array<{ userId: string; kind: string; reason: string }> }>('listRestrictions', { conversationId: c.id });
    expect(list.items.map((r) => [r.userId, r.kind, r.reason])).toEqual([[c.member, 'mute', 'cool down']]);
  });

  it('frozen: members cannot post; admins can; unfreezing restores members', async () => {
    const c = await channel();
    await c.admins.ok('freeze', { conversationId: c.id, frozen: true, reason: 'raid' });
    await refusedAlike(
      c.members,
      c.users,
      [
        ['send', { conversationId: c.id, clientId: 'f', text: 'hello?' }],
        ['react', { conversationId: c.id, seq: c.seq, emoji: '👍' }],
        ['typing', { conversationId: c.id, typing: true }],
      ],
      { code: 'FORBIDDEN', message: 'this conversation is frozen' },
    );
    await c.admins.ok('send', { conversationId: c.id, clientId: 'a', text: 'we are looking into it' });
    await c.admins.ok('freeze', { conversationId: c.id, frozen: false });
    await c.members.ok('send', { conversationId: c.id, clientId: 'f', text: 'hello?' });
  });

  it('slow mode: the error frame says when the next message is allowed', async () => {
    const c = await channel();
    const conv = await c.admins.ok<{ moderation: unknown }>('setSlowMode', { conversationId: c.id, intervalMs: 60_000 });
    expect(conv.moderation).toEqual({ frozen: false, slowModeMs: 60_000 });
    await c.members.ok('send', { conversationId: c.id, clientId: 's1', text: 'one' });
    const r = await c.members.request('send', { conversationId: c.id, clientId: 's2', text: 'two' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('RATE_LIMITED');
    const retry = (r.error as { retryAfterMs?: number }).retryAfterMs;
    expect(retry).toBeGreaterThan(50_000);
    expect(retry).toBeLessThanOrEqual(60_000);
    // a retry of the first send is still answered with the original (exactly once wins)
    expect((await c.members.request('send', { conversationId: c.id, clientId: 's1', text: 'one' })).ok).toBe(true);
    await c.admins.ok('send', { conversationId: c.id, clientId: 'a1', text: 'admins are exempt' });
    await c.admins.ok('send', { conversationId: c.id, clientId: 'a2', text: 'admins are exempt' });
  });

  it('report to ban: the reported user hears nothing of the report or of who filed it, then cannot come back', async () => {
    const c = await channel();
    const spammer = await w.socket(c.other);
    const reported = await c.members.ok<{ id: string }>('report', { conversationId: c.id, seq: c.seq, reason: 'spam' });
    const queue = await c.admins.ok<{ items: Array<{ id: string; reporterId: string; targetUserId: string }> }>('listReports', { conversationId: c.id });
    expect(queue.items.map((r) => [r.id, r.reporterId, r.targetUserId])).toEqual([[reported.id, c.member, c.other]]);
    expect(await c.admins.ok('reportCounts', { conversationId: c.id })).toEqual({ open: 1, resolved: 0, dismissed: 0 });
    await c.admins.ok('resolveReport', { conversationId: c.id, reportId: reported.id, action: 'ban' });
    await spammer.flush();
    expect(JSON.stringify(spammer.pushes)).not.toContain(c.member);
    expect(JSON.stringify(spammer.pushes)).not.toContain(reported.id);
    expect(errorOf(await spammer.request('join', { conversationId: c.id }))).toEqual({ code: 'FORBIDDEN', message: 'banned from this conversation' });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { createWorld, messagesIn, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** Words no one of which contains another, so substring and full-text search agree. */
const VOCAB = ['apple', 'banana', 'cherry', 'grape', 'lemon'];

interface ModelMessage {
  seq: number;
  sender: string;
  text: string;
  deleted: boolean;
  createdAt: number;
}

interface ModelMember {
  windows: Array<{ join: number; left: number | null }>;
  readSeq: number;
  mutedUntil: number | null;
}

interface ModelConversation {
  id: string;
  kind: 'direct' | 'group' | 'channel';
  lastSeq: number;
  lastActivityAt: number;
  messages: ModelMessage[];
  members: Map<string, ModelMember>;
  hidden: Map<string, Set<number>>;
}

type Command = { op: 'send' | 'read' | 'edit' | 'delete' | 'hide' | 'membership' | 'mute' | 'tick'; user: number; conv: number; pick: number; words: string[]; ms: number };

const command: fc.Arbitrary<Command> = fc.record({
  op: fc.constantFrom('send', 'send', 'send', 'read', 'read', 'edit', 'delete', 'hide', 'membership', 'mute', 'tick'),
  user: fc.nat({ max: 3 }),
  conv: fc.nat({ max: 2 }),
  pick: fc.nat({ max: 40 }),
  words: fc.subarray(VOCAB, { minLength: 1, maxLength: 3 }),
  ms: fc.integer({ min: 0, max: 1500 }),
});

const active = (m: ModelMember | undefined) => m !== undefined && m.windows[m.windows.length - 1]!.left === null;
const sees = (m: ModelMember | undefined, seq: number) => m !== undefined && m.windows.some((x) => seq >= x.join && (x.left === null || seq <= x.left));
const unreadIn = (c: ModelConversation, m: ModelMember) => c.messages.filter((x) => x.seq > m.readSeq).length;

async function setup(w: World) {
  const users = await w.users('u0', 'u1', 'u2', 'u3');
  const [u0, u1, u2, u3] = users as [string, string, string, string];
  const now = () => w.clock.now();
  const direct = await w.chat.as(u0).openDirect({ userId: u1 });
  w.clock.advance(1);
  const group = await w.chat.as(u0).createGroup({ title: 'model', memberIds: [u1, u2] });
  w.clock.advance(1);
  const channel = await w.chat.as(u3).createChannel({ title: 'model' });
  const fresh = (id: string, kind: ModelConversation['kind'], at: number, members: string[]): ModelConversation => ({
    id, kind, lastSeq: 1, lastActivityAt: at, messages: [], hidden: new Map(),
    members: new Map(members.map((u) => [u, { windows: [{ join: 1, left: null }], readSeq: 1, mutedUntil: null }])),
  });
  const convs = [
    fresh(direct.id, 'direct', direct.createdAt, [u0, u1]),
    fresh(group.id, 'group', group.createdAt, [u0, u1, u2]),
    fresh(channel.id, 'channel', channel.createdAt, [u3]),
  ];
  expect(now()).toBeGreaterThan(0);
  return { users, convs };
}

/** Apply one command to the engine and the model; the engine's answer must match the model's prediction. */
async function step(w: World, users: string[], convs: ModelConversation[], cmd: Command): Promise<void> {
  const user = users[cmd.user]!;
  const c = convs[cmd.conv]!;
  const me = c.members.get(user);
  const session = w.chat.as(user);
  const now = w.clock.now();
  const outcome = async (promise: Promise<unknown>, allowed: boolean) => {
    const result = await promise.then(
      () => 'ok',
      (e: unknown) => (isChatError(e) ? e.code : Promise.reject(e)),
    );
    expect(result, `${cmd.op} by ${cmd.user} in ${c.kind}`).toBe(allowed ? 'ok' : 'FORBIDDEN');
    return allowed;
  };
  switch (cmd.op) {
    case 'tick':
      w.clock.advance(cmd.ms);
      return;
    case 'send': {
      const text = cmd.words.join(' ');
      if (await outcome(session.send({ conversationId: c.id, clientId: `k${c.lastSeq}`, text }), active(me))) {
        const seq = ++c.lastSeq;
        c.messages.push({ seq, sender: user, text, deleted: false, createdAt: now });
        c.lastActivityAt = now;
        me!.readSeq = seq;
      }
      return;
    }
    case 'read': {
      const seq = (cmd.pick % (c.lastSeq + 2)) + 1;
      if (await outcome(session.markRead({ conversationId: c.id, seq }), me !== undefined)) {
        const ceiling = me!.windows[me!.windows.length - 1]!.left ?? c.lastSeq;
        me!.readSeq = Math.max(me!.readSeq, Math.min(seq, ceiling));
      }
      return;
    }
    case 'edit':
    case 'delete': {
      const own = c.messages.filter((m) => m.sender === user && !m.deleted && sees(me, m.seq));
      if (!active(me) || own.length === 0) return;
      const target = own[cmd.pick % own.length]!;
      if (cmd.op === 'edit') {
        const text = [...cmd.words].reverse().join(' ');
        await session.edit({ conversationId: c.id, seq: target.seq, text });
        if (text !== target.text) {
          target.text = text;
          c.lastSeq++;
        }
      } else {
        await session.delete({ conversationId: c.id, seq: target.seq, scope: 'everyone' });
        target.deleted = true;
        c.lastSeq++;
      }
      return;
    }
    case 'hide': {
      const visible = c.messages.filter((m) => sees(me, m.seq));
      if (visible.length === 0) return;
      const target = visible[cmd.pick % visible.length]!;
      await session.delete({ conversationId: c.id, seq: target.seq, scope: 'me' });
      if (!c.hidden.has(user)) c.hidden.set(user, new Set());
      c.hidden.get(user)!.add(target.seq);
      return;
    }
    case 'mute': {
      const until = cmd.pick % 2 === 0 ? null : now + cmd.ms;
      if (await outcome(session.mute({ conversationId: c.id, until }), active(me))) me!.mutedUntil = until;
      return;
    }
    case 'membership': {
      // channels: anyone but the owner (u3) toggles; groups: the owner (u0) adds or removes someone else
      let subject: string;
      if (c.kind === 'direct') return;
      if (c.kind === 'channel') {
        if (cmd.user === 3) return;
        subject = user;
        await (active(me) ? session.leave({ conversationId: c.id }) : session.join({ conversationId: c.id }));
      } else {
        if (cmd.user === 0) return;
        subject = user;
        const owner = w.chat.as(users[0]!);
        await (active(me) ? owner.removeMember({ conversationId: c.id, userId: user }) : owner.addMembers({ conversationId: c.id, userIds: [user] }));
      }
      const seq = ++c.lastSeq;
      const m = c.members.get(subject);
      if (active(m)) m!.windows[m!.windows.length - 1]!.left = seq;
      else if (m) {
        m.windows.push({ join: seq, left: null });
        m.readSeq = seq;
      } else c.members.set(subject, { windows: [{ join: seq, left: null }], readSeq: seq, mutedUntil: null });
      return;
    }
  }
}

/** Compare inbox, unread totals, search and history of every user with the model. */
async function compare(w: World, users: string[], convs: ModelConversation[]): Promise<void> {
  const now = w.clock.now();
  for (const user of users) {
    const mine = convs.filter((c) => active(c.members.get(user)));
    const expectedInbox = [...mine]
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt || (a.id < b.id ? 1 : -1))
      .map((c) => [c.id, unreadIn(c, c.members.get(user)!)]);
    const inbox = (await w.chat.as(user).inbox({ limit: 200 })).items.map((e) => [e.conversation.id, e.unread]);
    expect(inbox, `inbox of ${user}`).toEqual(expectedInbox);

    const counted = mine.filter((c) => {
      const m = c.members.get(user)!;
      return m.mutedUntil === null || m.mutedUntil <= now;
    });
    const unreads = counted.map((c) => unreadIn(c, c.members.get(user)!));
    expect(await w.chat.as(user).unreadTotal({}), `unreadTotal of ${user}`).toEqual({
      total: unreads.reduce((a, b) => a + b, 0),
      conversations: unreads.filter((n) => n > 0).length,
    });

    for (const word of VOCAB) {
      const hits = convs
        .flatMap((c) =>
          c.messages
            .filter((m) => !m.deleted && sees(c.members.get(user), m.seq) && !c.hidden.get(user)?.has(m.seq) && m.text.split(' ').includes(word))
            .map((m) => ({ ...m, conversationId: c.id })),
        )
        .sort((a, b) => b.createdAt - a.createdAt || (a.conversationId < b.conversationId ? 1 : a.conversationId > b.conversationId ? -1 : 0) || b.seq - a.seq)
        .map((m) => `${m.conversationId}/${m.seq}`);
      const got = (await w.chat.as(user).search({ query: word, limit: 200 })).items.map((m) => `${m.conversationId}/${m.seq}`);
      expect(got, `search ${word} by ${user}`).toEqual(hits);
    }

    for (const c of convs) {
      const m = c.members.get(user);
      if (!m) continue;
      const expected = c.messages.filter((x) => sees(m, x.seq) && !c.hidden.get(user)?.has(x.seq)).map((x) => [x.seq, x.deleted ? null : x.text]);
      const history = messagesIn((await w.chat.as(user).history({ conversationId: c.id, after: 0, limit: 200 })).events).map((x) => [x.seq, x.text]);
      expect(history, `history of ${user} in ${c.kind}`).toEqual(expected);
    }
  }
}

/** Property-based: random operation sequences against a brute-force model of unread, inbox, search and history. */
export function modelSuite(o: ResolvedStoreOptions): void {
  describe('model', () => {
    const store = useStore(o);

    // 40 random sequences of up to 30 ops: seconds alone, more under a loaded CI machine
    it('unread counts, unreadTotal, inbox order, search and history equal a brute-force model', { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
          const w = createWorld(store());
          const { users, convs } = await setup(w);
          for (const cmd of commands) await step(w, users, convs, cmd);
          await compare(w, users, convs);
        }),
        { numRuns: o.runs(40) },
      );
    });

    it('the model agrees after every single step (short sequences)', { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
          const w = createWorld(store());
          const { users, convs } = await setup(w);
          for (const cmd of commands) {
            await step(w, users, convs, cmd);
            await compare(w, users, convs);
          }
        }),
        { numRuns: o.runs(15) },
      );
    });
  });
}

import { CHAT_LIST, HISTORY, SEARCH, TRUE_UNREAD, UNREAD } from '../db/seed000.js';
import type { Latency } from '../stats.js';
import { latency, rng, timed } from '../stats.js';
import { word } from '../workload.js';
import type { Workload } from '../workload.js';
import type { Fixture } from './fixture.js';

/** p50/p99 of one read path for Parley and for the seed 000 query doing the same job. */
export interface ReadComparison {
  name: string;
  parley: Latency;
  seed: Latency;
}

/** Sample counts per read path. */
export interface ReadPlan {
  samples: number;
  warmup: number;
}

/**
 * Time `parley(i)` and `seed(i)` for samples i = 0..n, alternating which goes first, after a warm-up,
 * so drifts of the machine hit both sides alike.
 */
async function compare(name: string, plan: ReadPlan, parley: (i: number) => Promise<unknown>, seed: (i: number) => Promise<unknown>): Promise<ReadComparison> {
  for (let i = 0; i < plan.warmup; i++) {
    await parley(i);
    await seed(i);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < plan.samples; i++) {
    const k = plan.warmup + i;
    if (i % 2 === 0) {
      a.push((await timed(() => parley(k))).ms);
      b.push((await timed(() => seed(k))).ms);
    } else {
      b.push((await timed(() => seed(k))).ms);
      a.push((await timed(() => parley(k))).ms);
    }
  }
  return { name, parley: latency(a), seed: latency(b) };
}

/** Pick the i-th sample deterministically from a list. */
export const picker = <T>(list: readonly T[], seed: number) => {
  const r = rng(seed);
  const picks: T[] = [];
  return (i: number): T => {
    while (picks.length <= i) picks.push(list[Math.floor(r() * list.length)]!);
    return picks[i]!;
  };
};

/** The search words: uniform over the vocabulary's ranks (mostly rare words, as people search names and topics). */
export const searchWord = (vocabulary: number, seed: number) => {
  const r = rng(seed);
  return () => word(Math.floor(r() * vocabulary));
};

/** The i-th sample of each read path (same seeds for every store, so every store reads the same users and words). */
export function samplers(f: Pick<Fixture, 'users' | 'directs' | 'groups' | 'busy'>, w: Workload) {
  const nextWord = searchWord(w.vocabulary, 4);
  const words: string[] = [];
  return {
    user: picker(f.users, 1),
    conv: picker([...f.directs, ...f.groups], 2),
    member: picker(f.busy.members, 3),
    wordAt: (i: number) => {
      while (words.length <= i) words.push(nextWord());
      return words[i]!;
    },
    depth: (i: number) => w.deepOffset + (i % 7),
  };
}

/** Run every read comparison on the fixture. */
export async function measureReads(f: Fixture, plan: ReadPlan): Promise<ReadComparison[]> {
  const { store, sql, workload: w } = f;
  const now = Date.now();
  const { user, conv, member, wordAt, depth } = samplers(f, w);
  const frequent = (i: number) => word(i % 20);
  const results: ReadComparison[] = [];
  results.push(
    await compare('inbox page (20 conversations)', plan, (i) => store.inbox({ userId: user(i).id, limit: 20 }), (i) => sql.query(CHAT_LIST, [user(i).uid])),
  );
  results.push(
    await compare('unread total', plan, (i) => store.unreadTotal({ userId: user(i).id, now }), (i) => sql.query(UNREAD, [user(i).uid])),
  );
  results.push(
    await compare(
      'history page, newest 50',
      plan,
      (i) => store.events({ conversationId: conv(i).id, limit: 50, timelineOnly: true }),
      (i) => sql.query(HISTORY, [conv(i).id, 0]),
    ),
  );
  results.push(
    await compare(
      `history page, ${w.deepOffset.toLocaleString('en-US')} deep in the busy channel (keyset vs OFFSET)`,
      plan,
      (i) => store.events({ conversationId: f.busy.id, before: f.busy.lastSeq + 1 - depth(i), limit: 50, timelineOnly: true }),
      (i) => sql.query(HISTORY, [f.busy.id, depth(i)]),
    ),
  );
  results.push(
    await compare(
      'search in the busy channel (tsvector vs ILIKE)',
      plan,
      (i) => store.search({ userId: member(i).id, query: wordAt(i), conversationId: f.busy.id, limit: 50 }),
      (i) => sql.query(SEARCH, [member(i).uid, wordAt(i), f.busy.id]),
    ),
  );
  results.push(
    await compare(
      'search in the busy channel, one of the 20 most frequent words',
      { samples: Math.max(10, Math.round(plan.samples / 4)), warmup: 2 },
      (i) => store.search({ userId: member(i).id, query: frequent(i), conversationId: f.busy.id, limit: 50 }),
      (i) => sql.query(SEARCH, [member(i).uid, frequent(i), f.busy.id]),
    ),
  );
  return results;
}

/** Per-conversation unread counts in inbox pages: how many are right, for Parley and for seed 000's chat-list query. */
export interface UnreadCheck {
  users: number;
  conversations: number;
  parleyRight: number;
  seedRight: number;
  /** Conversations that have unread messages (where a wrong count matters most). */
  withUnread: number;
  /** Rows seed 000's query returns per user on average (one per other member: groups repeat). */
  seedRowsPerUser: number;
}

/** Compare inbox unread counts with the truth (counted per conversation from the seed's own status rows). */
export async function checkUnread(f: Fixture, users: number): Promise<UnreadCheck> {
  const pick = picker(f.users.filter((_, i) => i % 5 === 0), 9);
  const check: UnreadCheck = { users, conversations: 0, parleyRight: 0, seedRight: 0, withUnread: 0, seedRowsPerUser: 0 };
  let seedRows = 0;
  for (let i = 0; i < users; i++) {
    const u = pick(i);
    const truth = new Map((await f.sql.query<{ chat_id: string; unread: number }>(TRUE_UNREAD, [u.uid])).map((r) => [r.chat_id, Number(r.unread)]));
    const seed = await f.sql.query<{ chat_id: string; unread_count: string }>(CHAT_LIST.replace('LIMIT 20', ''), [u.uid]);
    seedRows += seed.length;
    const seedByChat = new Map<string, number>();
    for (const r of seed) if (!seedByChat.has(r.chat_id)) seedByChat.set(r.chat_id, Number(r.unread_count));
    const inbox = await f.store.inbox({ userId: u.id, limit: 1000 });
    for (const row of inbox) {
      const want = truth.get(row.conversation.id) ?? 0;
      check.conversations++;
      if (want > 0) check.withUnread++;
      if (row.unread === want) check.parleyRight++;
      if (seedByChat.get(row.conversation.id) === want) check.seedRight++;
    }
  }
  check.seedRowsPerUser = Math.round((seedRows / users) * 10) / 10;
  return check;
}

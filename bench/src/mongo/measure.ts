import type { ChatStore } from '@parley/core';
import type { Db } from 'mongodb';
import type { Latency } from '../stats.js';
import { latency, timed } from '../stats.js';
import { picker, samplers } from '../storage/reads.js';
import type { ReadPlan } from '../storage/reads.js';
import { appendSender, rotate, sendText, slot } from '../storage/sends.js';
import type { SendPlan, SendResult, Sender } from '../storage/sends.js';
import type { Workload } from '../workload.js';
import { word } from '../workload.js';
import type { MongoFixture } from './load.js';

/** One read path: p50/p99 and how many rows the last sample returned. */
export interface MongoRead {
  name: string;
  latency: Latency;
  rows: number;
}

const count = (x: unknown) => (Array.isArray(x) ? x.length : x === null || x === undefined ? 0 : 1);

/** The read paths of the Postgres sections (same names, same samples), on the Mongo store. */
export async function mongoReads(store: ChatStore, f: MongoFixture, w: Workload, plan: ReadPlan): Promise<MongoRead[]> {
  const now = Date.now();
  const { user, conv, member, wordAt, depth } = samplers(f, w);
  const paths: Array<[string, (i: number) => Promise<unknown>, ReadPlan?]> = [
    ['inbox page (20 conversations)', (i) => store.inbox({ userId: user(i).id, limit: 20 })],
    ['unread total', (i) => store.unreadTotal({ userId: user(i).id, now })],
    ['history page, newest 50', (i) => store.events({ conversationId: conv(i).id, limit: 50, timelineOnly: true })],
    [
      `history page, ${w.deepOffset.toLocaleString('en-US')} deep in the busy channel`,
      (i) => store.events({ conversationId: f.busy.id, before: f.busy.lastSeq + 1 - depth(i), limit: 50, timelineOnly: true }),
    ],
    ['search in the busy channel', (i) => store.search({ userId: member(i).id, query: wordAt(i), conversationId: f.busy.id, limit: 50 })],
    [
      'search in the busy channel, one of the 20 most frequent words',
      (i) => store.search({ userId: member(i).id, query: word(i % 20), conversationId: f.busy.id, limit: 50 }),
      { samples: Math.max(4, Math.round(plan.samples / 4)), warmup: 1 },
    ],
  ];
  const out: MongoRead[] = [];
  for (const [name, read, own] of paths) {
    const p = own ?? plan;
    for (let i = 0; i < p.warmup; i++) await read(i);
    const ms: number[] = [];
    let rows = 0;
    for (let i = 0; i < p.samples; i++) {
      const t = await timed(() => read(p.warmup + i));
      ms.push(t.ms);
      rows = count(t.value);
    }
    out.push({ name, latency: latency(ms), rows });
  }
  return out;
}

/** Inbox unread counts of sampled users against the truth (member 0 of a conversation has its unread tail). */
export async function mongoUnreadCheck(store: ChatStore, f: MongoFixture, users: number): Promise<{ conversations: number; right: number }> {
  const truth = new Map<string, number>();
  for (const c of [...f.directs, ...f.groups]) truth.set(`${c.id} ${c.members[0]!.id}`, c.unreadK);
  const pick = picker(f.users.filter((_, i) => i % 5 === 0), 9);
  let conversations = 0;
  let right = 0;
  for (let i = 0; i < users; i++) {
    const u = pick(i);
    for (const row of await store.inbox({ userId: u.id, limit: 1000 })) {
      conversations++;
      if (row.unread === (truth.get(`${row.conversation.id} ${u.id}`) ?? 0)) right++;
    }
  }
  return { conversations, right };
}

/** Raw `insertOne` into a bare collection (the ceiling) and `store.append` 1:1 and in groups, rotating order per repetition. */
export async function mongoSends(store: ChatStore, db: Db, f: MongoFixture, plan: SendPlan): Promise<SendResult[]> {
  const raw = db.collection('bench_raw_messages');
  const text = sendText(8);
  const ceiling: Sender = async (w, n) => {
    const { conv, sender } = slot(f.directs, plan.concurrency, w, n);
    await raw.insertOne({ conversationId: conv.id, senderId: conv.members[sender]!.id, at: Date.now(), text: text() });
  };
  const parley = appendSender(store, plan.concurrency);
  const variants: Array<[string, Sender]> = [
    ['raw insertOne into a bare collection (ceiling)', ceiling],
    ['Parley append, 1:1', parley(f.directs)],
    ['Parley append, 30-member groups', parley(f.groups)],
  ];
  const results = await rotate(variants, plan);
  await raw.drop().catch(() => undefined);
  return results;
}

/** Storage and index bytes of each of the store's collections (`$collStats`, falling back to `collStats`). */
export async function mongoSizes(db: Db): Promise<Array<{ name: string; count: number; storage: number; indexes: number }>> {
  const { COLLECTION_NAMES, DEFAULT_PREFIX } = await import('@parley/storage-mongo');
  const out: Array<{ name: string; count: number; storage: number; indexes: number }> = [];
  for (const base of COLLECTION_NAMES) {
    const name = `${DEFAULT_PREFIX}${base}`;
    let s: { count?: number; storageSize?: number; totalIndexSize?: number } | undefined;
    try {
      const [row] = await db.collection(name).aggregate([{ $collStats: { storageStats: {} } }]).toArray();
      s = (row as { storageStats?: typeof s } | undefined)?.storageStats;
    } catch {
      s = await db.command({ collStats: name });
    }
    if (!s || typeof s.storageSize !== 'number') throw new Error(`no storage statistics for ${name}`);
    out.push({ name, count: Number(s.count ?? 0), storage: Number(s.storageSize), indexes: Number(s.totalIndexSize ?? 0) });
  }
  return out;
}

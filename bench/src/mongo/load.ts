import type { ChatStore } from '@parley/core';
import type { Db } from 'mongodb';
import type { Sql } from '../db/sql.js';
import type { ConvRef } from '../storage/fixture.js';
import type { LoadedMessage } from './docs.js';
import { messageEventDoc, previewOfLoaded } from './docs.js';

/** A conversation of W1 with what the loader and the unread check need. */
export interface MongoConv extends ConvRef {
  /** Members (by position) and the unread tail of member 0. */
  unreadK: number;
}

/** W1 as loaded into the Mongo store: who is who, and load timings. */
export interface MongoFixture {
  users: Array<{ id: string; uid: string }>;
  directs: MongoConv[];
  groups: MongoConv[];
  busy: MongoConv;
  /** Documents written to the events collection. */
  events: number;
  loadSeconds: number;
}

/** Run `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * Load W1 from the `w1` staging schema (see `generateW1`) into the Mongo store: users and
 * conversations through the store's own `upsertUser`/`createConversation` (so those documents are
 * exactly the store's), messages with `insertMany` of event documents shaped as `append` writes
 * them, then one `bulkWrite` each to set what the appends would have left on conversations
 * (lastSeq, messageCount, lastActivityAt, lastMessage, updatedAt) and members (watermarks: member
 * 0 of 20% of conversations has 1–5 unread). Indexes are created after the load by `ensureIndexes`.
 */
export async function loadMongo(sql: Sql, db: Db, store: ChatStore, ensure: () => Promise<void>, log: (l: string) => void): Promise<MongoFixture> {
  const started = Date.now();
  const users = await sql.query<{ id: string; name: string }>('select id, name from w1.users order by idx');
  await pool(users, 16, (u) => store.upsertUser({ id: u.id, displayName: u.name, now: 1_735_689_600_000 }));
  const rows = await sql.query<{ idx: number; id: string; kind: ConvRef['kind']; title: string | null; n: number; start_at: string; step: string; unread_k: number; members: string[] }>(
    `select c.idx, c.id::text as id, c.kind, c.title, c.n, c.start_at, c.step, c.unread_k, array_agg(u.id order by m.pos) as members
     from w1.convs c join w1.members m on m.conv_idx = c.idx join w1.users u on u.idx = m.user_idx group by c.idx, c.id, c.kind, c.title, c.n, c.start_at, c.step, c.unread_k order by c.idx`,
  );
  const convs = rows.map((r): MongoConv => ({ id: r.id, kind: r.kind, lastSeq: Number(r.n) + 1, unreadK: Number(r.unread_k), members: r.members.map((id) => ({ id, uid: '' })) }));
  await pool(rows, 16, (r) =>
    store.createConversation({
      id: r.id, kind: r.kind, title: r.title, avatarUrl: null, createdBy: r.members[0]!, metadata: {},
      directPair: r.kind === 'direct' ? [...r.members].sort() : [],
      members: r.members.map((userId, pos) => ({ userId, role: r.kind !== 'direct' && pos === 0 ? 'owner' : 'member' })),
      now: Number(r.start_at),
    }),
  );
  log(`  mongo: ${users.length} users, ${rows.length} conversations created through the store in ${Math.round((Date.now() - started) / 100) / 10}s`);
  await sql.exec('create index on w1.messages (conv_idx, pos)');
  const events = db.collection('parley_events');
  const last = new Map<number, LoadedMessage>();
  let count = 0;
  for (let after = [-1, 0]; ; ) {
    const batch = await sql.query<{ conv_idx: number; pos: number; at: string; sender: string; text: string }>(
      `select m.conv_idx, m.pos, m.at, u.id as sender, m.text from w1.messages m join w1.users u on u.idx = m.sender_idx
       where (m.conv_idx, m.pos) > ($1, $2) order by m.conv_idx, m.pos limit 10000`,
      after,
    );
    if (batch.length === 0) break;
    const loaded = batch.map((b): LoadedMessage => ({ conversationId: rows[b.conv_idx]!.id, convIdx: b.conv_idx, pos: b.pos, at: Number(b.at), senderId: b.sender, text: b.text }));
    await events.insertMany(loaded.map(messageEventDoc), { ordered: false });
    for (const m of loaded) if (m.pos === Number(rows[m.convIdx]!.n)) last.set(m.convIdx, m);
    count += batch.length;
    after = [batch.at(-1)!.conv_idx, batch.at(-1)!.pos];
  }
  await db.collection('parley_conversations').bulkWrite(
    rows.map((r) => {
      const m = last.get(r.idx)!;
      return { updateOne: { filter: { id: r.id }, update: { $set: { lastSeq: r.n + 1, messageCount: r.n, lastActivityAt: m.at, lastMessage: previewOfLoaded(m), updatedAt: m.at } } } };
    }),
    { ordered: false },
  );
  await db.collection('parley_members').bulkWrite(
    rows.flatMap((r) =>
      r.members.map((userId, pos) => {
        const k = pos === 0 ? Number(r.unread_k) : 0;
        const n = Number(r.n);
        return { updateOne: { filter: { conversationId: r.id, userId }, update: { $set: { deliveredSeq: n + 1, readSeq: n + 1 - k, readOrd: n - k, updatedAt: Number(r.start_at) + n * Number(r.step) } } } };
      }),
    ),
    { ordered: false },
  );
  await ensure();
  const busy = convs.find((c) => c.kind === 'channel')!;
  const inBusy = new Set(busy.members.map((m) => m.id));
  log(`  mongo: ${count} messages loaded, indexes built; ${Math.round((Date.now() - started) / 100) / 10}s in all`);
  return {
    users: users.filter((u) => !inBusy.has(u.id)).map((u) => ({ id: u.id, uid: '' })),
    directs: convs.filter((c) => c.kind === 'direct'),
    groups: convs.filter((c) => c.kind === 'group'),
    busy,
    events: count + rows.length,
    loadSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

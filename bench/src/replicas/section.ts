import type { ChatStore } from '@parley/core';
import { PrivatePostgres } from '../../../tests/support/private-postgres.js';
import { serverSql } from '../db/sql.js';
import type { Sql } from '../db/sql.js';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import { median, rng, round } from '../stats.js';

/** How much the read-replica section measures. */
export interface ReplicaPlan {
  conversations: number;
  messagesPerConversation: number;
  users: number;
  /** Concurrent readers. */
  readers: number;
  /** Seconds per timed run, and A/B repetitions (primary only, then with the replica, alternating). */
  seconds: number;
  repetitions: number;
}

const WORDS = ['lunch', 'deploy', 'budget', 'review', 'coffee', 'launch', 'ticket', 'design', 'weekend', 'meeting'];
const STORE_TABLE = /"(events|conversations|members|users|contacts|hidden|calls)"/;

interface Run {
  readsPerSecond: number;
  /** Statements on the store's tables each side ran, per read. */
  primaryPerRead: number;
  replicaShare: number;
  /** WAL position checks (`pg_current_wal_insert_lsn`, `pg_last_wal_replay_lsn`) per read: the cost of the guarantee. */
  positionsPerRead: number;
}

/** One timed run: `readers` loops of history / inbox / search reads (and a send every `writeEvery` reads, if set). */
async function timedRun(
  store: ChatStore,
  world: { conversations: string[]; members: Map<string, string[]>; users: string[] },
  plan: ReplicaPlan,
  counters: { primary: () => number; replica: () => number; positions: () => number },
  writeEvery: number | undefined,
  seed: number,
): Promise<Run> {
  const random = rng(seed);
  const before = { primary: counters.primary(), replica: counters.replica(), positions: counters.positions() };
  const deadline = performance.now() + plan.seconds * 1000;
  let reads = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: plan.readers }, async () => {
      while (performance.now() < deadline) {
        const cid = world.conversations[Math.floor(random() * world.conversations.length)]!;
        const user = world.members.get(cid)![0]!;
        const kind = reads % 3;
        if (writeEvery !== undefined && reads % writeEvery === 0) {
          await store.append({ draft: draft(cid, user, `${WORDS[reads % WORDS.length]} more`), requireActiveMember: user });
        }
        if (kind === 0) await store.events({ conversationId: cid, limit: 50, timelineOnly: true });
        else if (kind === 1) await store.inbox({ userId: user, limit: 20 });
        else await store.search({ userId: user, query: WORDS[Math.floor(random() * WORDS.length)]!, limit: 20 });
        reads += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const primary = counters.primary() - before.primary;
  const replica = counters.replica() - before.replica;
  return {
    readsPerSecond: reads / seconds,
    primaryPerRead: primary / reads,
    replicaShare: replica / Math.max(1, primary + replica),
    positionsPerRead: (counters.positions() - before.positions) / reads,
  };
}

function draft(conversationId: string, senderId: string, text: string) {
  const at = Date.now();
  return {
    type: 'message' as const,
    conversationId,
    actorId: senderId,
    at,
    message: {
      conversationId, id: crypto.randomUUID(), senderId, kind: 'text' as const, text, attachments: [], replyTo: null, mentions: [],
      reactions: {}, clientId: crypto.randomUUID(), call: null, metadata: {}, pinned: false, createdAt: at, editedAt: null, deletedAt: null,
    },
  };
}

async function caughtUp(primary: Sql, replica: Sql): Promise<void> {
  const [position] = await primary.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
  for (;;) {
    const [replayed] = await replica.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [position!.lsn]);
    if (replayed?.ok === true) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Read throughput on a private primary alone vs the same primary with a streaming replica of it
 * (initdb, `pg_basebackup -R`), both on this machine, same store, same reads, A/B alternating.
 */
export async function replicaSection(plan: ReplicaPlan, log: (line: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const out = section('replicas', 'Read replicas (private primary + streaming replica)');
  const primaryServer = await PrivatePostgres.create('the read-replica bench section');
  if (primaryServer === null) {
    out.skipped = 'initdb/pg_ctl/pg_basebackup not found (set PARLEY_PG_BIN)';
    return out;
  }
  let standby: PrivatePostgres | undefined;
  const sqls: Sql[] = [];
  try {
    await primaryServer.start();
    standby = await primaryServer.replica();
    await standby.start();
    const { createPostgresStore, migrate } = await import('@parley/storage-postgres');
    const counts = { primary: 0, replica: 0, positions: 0 };
    const count = (side: 'primary' | 'replica') => (text: string) => {
      if (STORE_TABLE.test(text)) counts[side] += 1;
      else if (/_lsn\(/.test(text)) counts.positions += 1;
    };
    // as many connections serve reads either way: 4 to the primary alone, or 4 to the replica (the
    // primary keeps 4 for sends and position checks)
    const primarySql = serverSql(primaryServer.url, 4);
    const splitSql = serverSql(primaryServer.url, 4);
    const replicaSql = serverSql(standby.url, 4);
    sqls.push(primarySql, splitSql, replicaSql);
    const primaryDb = await primarySql.kysely(count('primary'));
    await migrate({ db: primaryDb });
    const alone = createPostgresStore({ db: primaryDb });
    const replicated = createPostgresStore({ db: await splitSql.kysely(count('primary')), replicas: [await replicaSql.kysely(count('replica'))] });

    log(`  seeding ${plan.conversations} conversations × ${plan.messagesPerConversation} messages…`);
    const random = rng(19);
    const users = Array.from({ length: plan.users }, (_, i) => `u${i}`);
    for (const id of users) await alone.upsertUser({ id, displayName: id, now: 1 });
    const conversations: string[] = [];
    const members = new Map<string, string[]>();
    for (let i = 0; i < plan.conversations; i++) {
      const picked = [...new Set(Array.from({ length: 5 }, () => users[Math.floor(random() * users.length)]!))];
      const { conversation } = await alone.createConversation({
        id: crypto.randomUUID(), kind: 'group', title: `g${i}`, avatarUrl: null, metadata: {}, createdBy: picked[0]!, now: 2, directPair: [],
        members: picked.map((userId, k) => ({ userId, role: k === 0 ? ('owner' as const) : ('member' as const) })),
      });
      conversations.push(conversation.id);
      members.set(conversation.id, picked);
    }
    await Promise.all(
      conversations.map(async (cid) => {
        const who = members.get(cid)!;
        for (let k = 0; k < plan.messagesPerConversation; k++) {
          const text = `${WORDS[k % WORDS.length]} ${WORDS[(k * 7) % WORDS.length]} ${k}`;
          await alone.append({ draft: draft(cid, who[k % who.length]!, text), requireActiveMember: who[k % who.length]! });
        }
      }),
    );
    await primarySql.exec('analyze');
    await caughtUp(primarySql, replicaSql);
    const world = { conversations, members, users };
    const counters = { primary: () => counts.primary, replica: () => counts.replica, positions: () => counts.positions };

    const rows: Array<Array<string | number>> = [];
    const ratios: Record<string, number> = {};
    for (const [label, writeEvery] of [['reads only', undefined], ['1 send per 20 reads', 20]] as const) {
      const a: Run[] = [];
      const b: Run[] = [];
      for (let rep = 0; rep < plan.repetitions; rep++) {
        const order = rep % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
        for (const side of order) {
          const run = await timedRun(side === 'a' ? alone : replicated, world, plan, counters, writeEvery, rep * 2 + (side === 'a' ? 0 : 1));
          (side === 'a' ? a : b).push(run);
          await caughtUp(primarySql, replicaSql);
        }
      }
      const med = (runs: Run[], key: keyof Run) => median(runs.map((r) => r[key]));
      ratios[label] = med(b, 'readsPerSecond') / med(a, 'readsPerSecond');
      rows.push([label, 'primary only', round(med(a, 'readsPerSecond'), 0), round(med(a, 'primaryPerRead'), 2), 0, 0]);
      rows.push([label, 'primary + replica', round(med(b, 'readsPerSecond'), 0), round(med(b, 'primaryPerRead'), 2), round(med(b, 'replicaShare'), 3), round(med(b, 'positionsPerRead'), 3)]);
      log(
        `  ${label}: ${round(med(a, 'readsPerSecond'), 0)} → ${round(med(b, 'readsPerSecond'), 0)} reads/s (${round(ratios[label]!, 2)}x), ` +
          `replica share ${round(med(b, 'replicaShare'), 3)}, position checks per read ${round(med(b, 'positionsPerRead'), 3)}`,
      );
    }
    out.tables.push({
      title: `Reads (history 50, inbox 20, search) by ${plan.readers} concurrent readers, ${plan.seconds}s × ${plan.repetitions} per side, medians`,
      head: ['load', 'store', 'reads/s', 'primary statements per read', 'share of read statements on the replica', 'position checks per read'],
      rows,
    });
    out.notes.push(
      `${plan.conversations} groups of up to 5 of ${plan.users} users, ${plan.messagesPerConversation} messages each. Both servers run on this machine ` +
        '(2 cores) and 4 connections serve reads on each side (the primary alone, or the replica), so reads/s shows what routing costs ' +
        'or gains on shared cores; what a replica on its own host adds is the primary statements it takes away (the "primary statements ' +
        'per read" column). Sends are not counted as statements (they call the send function).',
    );
    out.targets.push(
      target({
        id: 'replicas.offload',
        what: 'share of read statements the replica answers (reads only)',
        ratio: rows[1]![4] as number,
        goal: 0.95,
        goalText: '>= 95%',
        detail: `primary statements per read: ${rows[0]![3]} alone, ${rows[1]![3]} with the replica`,
      }),
      target({
        id: 'replicas.throughput',
        what: 'reads/s with the replica / primary only, both on the same 2 cores (reads only)',
        ratio: ratios['reads only']!,
        goal: 0.85,
        goalText: '>= 0.85x (routing costs little)',
        detail: `mixed load (1 send per 20 reads): ${round(ratios['1 send per 20 reads']!, 2)}x`,
      }),
    );
  } finally {
    await Promise.all(sqls.map((s) => s.close().catch(() => undefined)));
    await standby?.destroy();
    await primaryServer.destroy();
  }
  out.durationMs = Date.now() - started;
  return out;
}

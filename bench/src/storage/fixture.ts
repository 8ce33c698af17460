import type { ChatStore } from '@parley/core';
import type { Kysely } from 'kysely';
import type { Sql } from '../db/sql.js';
import type { Workload } from '../workload.js';
import { generateW1, dropW1 } from '../workload.js';
import { loadParley } from '../db/load-parley.js';
import { loadSeed000 } from '../db/seed000.js';

/** Postgres schema holding Parley's tables in the bench database. */
export const PARLEY_SCHEMA = 'parley';

/** A conversation as both schemas know it (same uuid in both). */
export interface ConvRef {
  id: string;
  kind: 'direct' | 'group' | 'channel';
  lastSeq: number;
  /** Members: Parley user id and the seed's user uuid. */
  members: Array<{ id: string; uid: string }>;
}

/** Everything the storage measurements need: both schemas loaded with W1, and who is who. */
export interface Fixture {
  sql: Sql;
  db: Kysely<unknown>;
  store: ChatStore;
  workload: Workload;
  /** Users outside the busy channel (sampled for inbox and unread): Parley id and seed uuid. */
  users: Array<{ id: string; uid: string }>;
  directs: ConvRef[];
  groups: ConvRef[];
  busy: ConvRef;
  /** SQL the Parley store ran since the last `takeQueries()` (for EXPLAIN). */
  takeQueries(): Array<{ sql: string; params: readonly unknown[] }>;
  /** Load timings, seconds. */
  loadSeconds: { generate: number; parley: number; seed000: number };
}

const seconds = (start: number) => Math.round((Date.now() - start) / 100) / 10;

/** Generate W1, load it into Parley's schema and the seed 000 schema, and build the store. */
export async function buildFixture(sql: Sql, workload: Workload, log: (line: string) => void): Promise<Fixture> {
  let queries: Array<{ sql: string; params: readonly unknown[] }> = [];
  const db = await sql.kysely((text, params) => queries.push({ sql: text, params }));
  let t = Date.now();
  await generateW1(sql, workload);
  const generate = seconds(t);
  log(`  W1 generated in ${generate}s`);
  t = Date.now();
  await sql.exec(`drop schema if exists ${PARLEY_SCHEMA} cascade`);
  await loadParley(sql, db, PARLEY_SCHEMA);
  const parley = seconds(t);
  log(`  Parley schema loaded in ${parley}s`);
  t = Date.now();
  await loadSeed000(sql);
  const seed000 = seconds(t);
  log(`  seed 000 schema loaded in ${seed000}s`);
  const rows = await sql.query<{ idx: number; kind: ConvRef['kind']; id: string; n: number; members: Array<{ id: string; uid: string }> }>(
    `select c.idx, c.kind, c.id::text as id, c.n,
       jsonb_agg(jsonb_build_object('id', u.id, 'uid', u.uid) order by m.pos) as members
     from w1.convs c join w1.members m on m.conv_idx = c.idx join w1.users u on u.idx = m.user_idx
     group by c.idx, c.kind, c.id, c.n order by c.idx`,
  );
  const refs = rows.map((r): ConvRef => ({ id: r.id, kind: r.kind, lastSeq: Number(r.n) + 1, members: r.members }));
  const busy = refs.find((r) => r.kind === 'channel')!;
  const inBusy = new Set(busy.members.map((m) => m.id));
  const users = (await sql.query<{ id: string; uid: string }>('select id, uid::text as uid from w1.users order by idx')).filter((u) => !inBusy.has(u.id));
  await dropW1(sql);
  const { createPostgresStore } = await import('@parley/storage-postgres');
  const store = createPostgresStore({ db, schema: PARLEY_SCHEMA });
  return {
    sql,
    db,
    store,
    workload,
    users,
    directs: refs.filter((r) => r.kind === 'direct'),
    groups: refs.filter((r) => r.kind === 'group'),
    busy,
    takeQueries() {
      const taken = queries;
      queries = [];
      return taken;
    },
    loadSeconds: { generate, parley, seed000 },
  };
}

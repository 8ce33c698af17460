/**
 * Where the time of a message send goes, on a Postgres server.
 *
 *   npx tsx --conditions=@parley/source packages/storage-postgres/scripts/send-bench.ts \
 *     [--kind=direct|group] [--conversations=800] [--seconds=3] [--reps=5] [--concurrency=8]
 *     [--before] [--explain] [--drop-index=name,...] [--keep] [--in-flight=4] [--batch=128] [--partitions=16]
 *
 * In a fresh schema (dropped at the end) it creates the conversations, then alternates the
 * variants for `--reps` repetitions, rotating which goes first:
 *  - `raw`: `concurrency` workers, each a single-row INSERT (autocommit) into a bare table;
 *  - `append`: `concurrency` workers sending text messages through `store.append`, each worker in
 *    its own slice of conversations (as bench/src/storage/sends.ts does).
 *  - `before` (with `--before`): the same send as one inline statement, as append.ts sent it before
 *    migration 0002 (parsed and planned on every send).
 * `--partitions=N` migrates the fresh schema with hash-partitioned tables (`migrate({ partitions })`).
 * `--drop-index` drops indexes of the fresh schema first (to see what one costs; not a fix).
 * It prints sends/s per repetition, the medians, the median per-repetition ratio append/raw,
 * WAL bytes per send, HOT share of the conversation and member updates, index scans/inserts, and
 * (with `--explain`) EXPLAIN (ANALYZE, BUFFERS) of one send statement, rolled back.
 * Server: PARLEY_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EventDraft } from '@parley/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { previewOf } from '@parley/core';
import { createPostgresStore, migrate } from '@parley/storage-postgres';
import { eventRowValues, toConversation } from '../src/rows.js';
import type { Row } from '../src/rows.js';

const args = new Map<string, string | undefined>(
  process.argv.slice(2).map((a): [string, string | undefined] => {
    const [key, value] = a.replace(/^--/, '').split('=');
    return [key!, value];
  }),
);
const num = (name: string, fallback: number) => (args.has(name) ? Number(args.get(name)) : fallback);
const kind = (args.get('kind') ?? 'direct') as 'direct' | 'group';
const conversations = num('conversations', 800);
const seconds = num('seconds', 3);
const reps = num('reps', 5);
const concurrency = num('concurrency', 8);
const url = process.env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `parley_sendbench_${randomBytes(4).toString('hex')}`;

let captured: { sql: string; params: readonly unknown[] } | null = null;
let capture = false;
const pool = new pg.Pool({ connectionString: url, max: concurrency + 2 });
pool.on('error', () => {});
const db = new Kysely<unknown>({
  dialect: new PostgresDialect({ pool }),
  log: (e) => {
    if (capture && e.level === 'query' && /insert into/.test(e.query.sql) && captured === null) {
      captured = { sql: e.query.sql, params: e.query.parameters };
    }
  },
});
// --in-flight=N / --batch=N tune the group commit (see BatchingOptions)
const batching = {
  ...(args.has('in-flight') ? { maxInFlight: num('in-flight', 4) } : {}),
  ...(args.has('batch') ? { maxBatch: num('batch', 128) } : {}),
};
const store = createPostgresStore({ db, schema, batching });
const q = async <R>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as R[];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const words = 'the of and to a in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const text = () => Array.from({ length: 8 }, () => words[Math.floor(rnd() * words.length)]).join(' ');

interface Conv { id: string; members: string[] }

async function setup(): Promise<Conv[]> {
  await migrate({ db, schema, ...(args.has('partitions') ? { partitions: num('partitions', 16) } : {}) });
  await q(`create table ${schema}.raw_messages (conversation_id text not null, sender_id text not null, at bigint not null, text text)`);
  const size = kind === 'direct' ? 2 : 30;
  const U = Math.max(2, Math.ceil(conversations / 4));
  const convs: Conv[] = Array.from({ length: conversations }, (_, i) => ({
    id: randomUUID(),
    // as in workload W1: direct pair i joins users a = i mod U and a + 1 + 37·⌊i/U⌋ (each user in ~8 directs);
    // group i has members (7i + k) mod 3N (each user in ~10 groups)
    members: Array.from({ length: size }, (_, k) => `u${kind === 'direct' ? (i % U) + k * (1 + 37 * Math.floor(i / U)) : (i * 7 + k) % (conversations * 3)}`),
  }));
  const users = [...new Set(convs.flatMap((c) => c.members))];
  await q(`insert into ${schema}.users (id, created_at, updated_at, display_name) select u, 1, 1, u from unnest($1::text[]) u`, [users]);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < convs.length) {
      const c = convs[next++]!;
      await store.createConversation({
        id: c.id, kind, title: kind === 'direct' ? null : 'room', avatarUrl: null, createdBy: c.members[0]!, metadata: {},
        directPair: kind === 'direct' ? [...c.members].sort() : [],
        members: c.members.map((userId) => ({ userId, role: 'member' })), now: 1,
      });
    }
  }));
  await q(`analyze`);
  return convs;
}

type Sender = (w: number, n: number) => Promise<void>;

/** Worker w's n-th send: its own slice of conversations (no two workers share a conversation). */
const slot = (convs: Conv[], w: number, n: number) => {
  const mine = Math.floor(convs.length / concurrency);
  const c = convs[w + concurrency * (n % Math.max(1, mine))]!;
  return { c, sender: c.members[n % c.members.length]! };
};

let clientSeq = 0;
const draftOf = (c: Conv, sender: string): EventDraft => {
  const at = Date.now();
  return {
    type: 'message', conversationId: c.id, actorId: sender, at,
    message: {
      conversationId: c.id, id: randomUUID(), senderId: sender, kind: 'text', text: text(), attachments: [], replyTo: null,
      mentions: [], reactions: {}, clientId: `sb-${process.pid}-${clientSeq++}`, call: null, metadata: {}, pinned: false,
      createdAt: at, editedAt: null, deletedAt: null,
    },
  } as EventDraft;
};

/** Busy CPU time of the whole machine so far, in microseconds (from /proc/stat; 0 where there is none). */
function machineCpu(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!; // user nice system irq softirq steal
    return (busy * 1e6) / 100; // USER_HZ = 100
  } catch {
    return 0;
  }
}
const cpu = { node: [[], []] as number[][], other: [[], []] as number[][] };

async function drive(send: Sender, v = -1): Promise<{ perSecond: number; count: number }> {
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const deadline = Date.now() + seconds * 1000;
  let count = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let n = 0; Date.now() < deadline; n++) {
      await send(w, n);
      count++;
    }
  }));
  if (v >= 0) {
    const d = process.cpuUsage(cpu0);
    const node = d.user + d.system;
    cpu.node[v]!.push(node / count);
    cpu.other[v]!.push((machineCpu() - machine0 - node) / count);
  }
  return { perSecond: count / (Number(process.hrtime.bigint() - start) / 1e9), count };
}

interface Stats { lsn: string; tables: Record<string, { upd: number; hot: number; ins: number }>; idx: Record<string, { scan: number; read: number }> }
async function stats(): Promise<Stats> {
  const lsn = (await q<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`))[0]!.lsn;
  const tables: Stats['tables'] = {};
  for (const r of await q<{ relname: string; upd: string; hot: string; ins: string }>(
    `select relname, n_tup_upd upd, n_tup_hot_upd hot, n_tup_ins ins from pg_stat_user_tables where schemaname = $1`, [schema])) {
    tables[r.relname] = { upd: Number(r.upd), hot: Number(r.hot), ins: Number(r.ins) };
  }
  const idx: Stats['idx'] = {};
  for (const r of await q<{ indexrelname: string; scan: string; read: string }>(
    `select indexrelname, idx_scan scan, idx_tup_read read from pg_stat_user_indexes where schemaname = $1`, [schema])) {
    idx[r.indexrelname] = { scan: Number(r.scan), read: Number(r.read) };
  }
  return { lsn, tables, idx };
}
const walDelta = async (a: string, b: string) =>
  Number((await q<{ d: string }>(`select pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn) d`, [a, b]))[0]!.d);
const settle = () => new Promise((r) => setTimeout(r, 700)); // stats collector flush (PG15: shared memory, flushed at idle)

/**
 * The send as append.ts sent it before migration 0002: the same statement, sent inline (parsed,
 * analysed and planned on every send). Kept here to compare both in one run (`--before`).
 */
async function inlineSend(draft: EventDraft, required: string): Promise<void> {
  if (draft.type !== 'message') throw new Error('message drafts only');
  const t = (name: string) => sql.table(`${schema}.${name}`);
  const v = eventRowValues(draft);
  const preview = JSON.stringify(previewOf({ ...draft.message, seq: 0 }));
  const users = [...new Set([required, draft.message.senderId])];
  const result = await sql`
    with lk as (
      select user_id, left_seq from ${t('members')}
      where conversation_id = ${draft.conversationId} and user_id = any(${users}::text[])
      order by user_id for no key update
    ), ok as (
      select count(*) filter (where user_id = ${required}::text and left_seq is null) as active from lk
    ), c as (
      update ${t('conversations')} as cv set
        last_seq = cv.last_seq + 1, message_count = cv.message_count + 1,
        last_activity_at = ${draft.at}::bigint, updated_at = ${draft.at}::bigint,
        last_message = jsonb_set(${preview}::jsonb, '{seq}', to_jsonb(cv.last_seq + 1))
      from ok
      where cv.id = ${draft.conversationId} and (${required}::text is null or ok.active > 0)
      returning cv.*
    ), e as (
      insert into ${t('events')} (conversation_id, seq, ord, at, type, actor_id, id, target, created_at, edited_at, deleted_at,
        reply_to, pinned, kind, client_id, text, attachments, mentions, reactions, call, metadata, data)
      select c.id, c.last_seq, c.message_count, ${v.at}::bigint, ${v.type}::smallint, ${v.actorId}::text, ${v.id}, ${v.target}::bigint,
        ${v.createdAt}::bigint, ${v.editedAt}::bigint, ${v.deletedAt}::bigint, ${v.replyTo}::bigint, ${v.pinned}::boolean,
        ${v.kind}::text, ${v.clientId}::text, ${v.text}::text, ${v.attachments}::jsonb, ${v.mentions}::jsonb,
        ${v.reactions}::jsonb, ${v.call}::jsonb, ${v.metadata}::jsonb, ${v.data}::jsonb from c
    ), s as (
      update ${t('members')} as m set
        read_seq = greatest(m.read_seq, c.last_seq), delivered_seq = greatest(m.delivered_seq, c.last_seq),
        read_ord = c.message_count, updated_at = ${draft.at}::bigint
      from c where m.conversation_id = c.id and m.user_id = ${draft.message.senderId}::text
    )
    select * from c`.execute(db);
  if (result.rows.length !== 1) throw new Error('inline send did not apply');
  toConversation(result.rows[0] as Row);
}

async function main() {
  console.log(`schema ${schema}: ${conversations} ${kind} conversations, ${concurrency} senders, ${reps} x ${seconds}s alternating`);
  const convs = await setup();
  const raw: Sender = async (w, n) => {
    const { c, sender } = slot(convs, w, n);
    await pool.query(`insert into ${schema}.raw_messages (conversation_id, sender_id, at, text) values ($1, $2, $3, $4)`, [c.id, sender, Date.now(), text()]);
  };
  const append: Sender = async (w, n) => {
    const { c, sender } = slot(convs, w, n);
    await store.append({ draft: draftOf(c, sender), requireActiveMember: sender });
  };
  // warm up both (plans, caches, first touch of every conversation page)
  for (let i = 0; i < conversations; i++) await store.append({ draft: draftOf(convs[i]!, convs[i]!.members[0]!), requireActiveMember: convs[i]!.members[0]! });
  await drive(raw);
  await q(`checkpoint`).catch(() => {});

  const variants: Array<[string, Sender]> = [['raw', raw], ['append', append]];
  if (args.has('before')) {
    variants.push(['before (inline statement)', async (w, n) => {
      const { c, sender } = slot(convs, w, n);
      await inlineSend(draftOf(c, sender), sender);
    }]);
  }
  for (const name of (args.get('drop-index') ?? '').split(',').filter(Boolean)) {
    await q(`drop index ${schema}.${name}`); // experiment: what one index costs
    console.log(`dropped index ${name}`);
  }
  const V = variants.length;
  const runs: number[][] = variants.map(() => []);
  const wal: number[][] = variants.map(() => []);
  cpu.node = variants.map(() => []);
  cpu.other = variants.map(() => []);
  const hot: Record<string, { upd: number; hot: number }> = {};
  const idxTotals: Record<string, number> = {};
  let appended = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < V; k++) {
      const v = (k + rep) % V;
      await settle();
      const before = await stats();
      const { perSecond, count } = await drive(variants[v]![1], v);
      await settle();
      const after = await stats();
      runs[v]!.push(perSecond);
      wal[v]!.push((await walDelta(before.lsn, after.lsn)) / count);
      if (v === 1) {
        appended += count;
        for (const [name, a] of Object.entries(after.tables)) {
          const b = before.tables[name]!;
          const h = (hot[name] ??= { upd: 0, hot: 0 });
          h.upd += a.upd - b.upd;
          h.hot += a.hot - b.hot;
        }
        for (const [name, a] of Object.entries(after.idx)) idxTotals[name] = (idxTotals[name] ?? 0) + a.scan - (before.idx[name]?.scan ?? 0);
      }
    }
    console.log(`rep ${rep + 1}: ${variants.map(([name], v) => `${name} ${runs[v]!.at(-1)!.toFixed(0)}/s`).join(', ')}`);
  }
  console.log('');
  for (const [name, v] of variants.map(([n], i) => [n, i] as const)) {
    const ratios = runs[v]!.map((x, i) => x / runs[0]![i]!);
    console.log(`${name}: median ${median(runs[v]!).toFixed(0)} sends/s, ratio to raw ${median(ratios).toFixed(3)} (${ratios.map((r) => r.toFixed(3)).join(' / ')}), ` +
      `WAL ${median(wal[v]!).toFixed(0)} B/send, CPU µs/send: Node ${median(cpu.node[v]!).toFixed(0)}, rest of machine (Postgres) ${median(cpu.other[v]!).toFixed(0)}`);
  }
  console.log('(ratio: median over repetitions of variant / raw in the same repetition)');
  for (const [name, h] of Object.entries(hot)) if (h.upd > 0) console.log(`append: updates of ${name} ${(h.upd / appended).toFixed(2)} per send, HOT ${((100 * h.hot) / h.upd).toFixed(1)}%`);
  console.log(`append: index scans per send: ${Object.entries(idxTotals).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${(n / appended).toFixed(2)}`).join(', ')}`);
  const locks = await q<{ n: string }>(`select count(*) n from pg_locks where not granted`);
  console.log(`ungranted locks at end: ${locks[0]!.n}`);

  if (args.has('explain')) {
    capture = true;
    const c = convs[0]!;
    await inlineSend(draftOf(c, c.members[0]!), c.members[0]!); // the statement the send function runs
    capture = false;
    if (captured) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        // a fresh clientId and message id, so the explained send is not a duplicate of the one just sent
        const params = (captured.params as unknown[]).map((p) => (typeof p === 'string' && /^sb-|^[0-9a-f]{8}-/.test(p) && p !== c.id ? `${p}-x` : p));
        const plan = await client.query(`explain (analyze, buffers, wal, settings, summary) ${captured.sql}`, params);
        console.log('\nEXPLAIN (ANALYZE, BUFFERS, WAL) of one send (rolled back):');
        for (const r of plan.rows) console.log(r['QUERY PLAN']);
        await client.query('rollback');
      } finally {
        client.release();
      }
    }
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    if (args.has('keep')) console.log(`kept schema ${schema}`);
    else await q(`drop schema if exists ${schema} cascade`).catch(() => {});
    await db.destroy();
  });

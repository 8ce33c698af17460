import type { MachineInfo } from '../machine.js';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import type { StoragePlan } from '../storage/section.js';
import { round } from '../stats.js';
import type { Workload } from '../workload.js';
import { dropW1, generateW1, totalMessages } from '../workload.js';
import { connectMongo } from './connect.js';
import { loadMongo } from './load.js';
import { mongoReads, mongoSends, mongoSizes, mongoUnreadCheck } from './measure.js';

const TITLE = 'Storage on MongoDB';

/** The Postgres server's figure for a read path in this run (same row name), if that section ran. */
function pgP50(pg: SectionResult | undefined, name: string): string | number {
  const table = pg?.tables.find((t) => t.title.startsWith('Read latency'));
  const row = table?.rows.find((r) => String(r[0]).startsWith(name));
  return row ? row[1]! : '—';
}

/**
 * The storage section on `@parley/storage-mongo`: W1 generated once (in PGlite) and loaded into the
 * store, then bytes per message, the read paths of the Postgres sections and sends/s with 8
 * concurrent senders through `store.append`, beside the Postgres server's figures of the same run.
 *
 * With `url` undefined the section runs against in-process CongoDB and only checks that every step
 * works: CongoDB's speed and sizes say nothing about MongoDB, so no figure is reported.
 */
export async function mongoStorage(url: string | undefined, workload: Workload, plan: StoragePlan, pg: SectionResult | undefined, machine: MachineInfo, log: (l: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const { createMongoStore, ensureIndexes } = await import('@parley/storage-mongo');
  const { PGlite } = await import('@electric-sql/pglite');
  const { pgliteSql } = await import('../db/sql.js');
  const target0 = await connectMongo(url);
  const congo = target0.kind === 'congodb';
  const out = section('mongo', congo ? `${TITLE} (CongoDB: the section runs; no figures)` : TITLE);
  const sql = pgliteSql(new PGlite());
  try {
    const { db } = target0;
    if (target0.version) machine.mongodb = target0.version;
    const store = createMongoStore({ db, capabilities: target0.capabilities });
    await generateW1(sql, workload);
    const f = await loadMongo(sql, db, store, () => ensureIndexes(db, { textIndex: !congo }), log);
    await dropW1(sql);
    const check = await store.getMessage(f.busy.id, f.busy.lastSeq);
    if (!check) throw new Error('MongoDB load: the store does not find the loaded messages (event _id scheme differs)');
    const messages = totalMessages(workload);
    const reads = await mongoReads(store, f, workload, plan.reads);
    const unread = await mongoUnreadCheck(store, f, plan.unreadUsers);
    const sizes = await mongoSizes(db).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
    const sends = await mongoSends(store, db, f, plan.sends);
    const w = `W1 at scale ${workload.scale} (${messages} messages, ${f.events} event documents)`;
    if (congo) {
      out.notes.push(
        `Ran against CongoDB (in-process, wire-compatible test server; --mongo=congodb) with ${w}: the loader, the store's reads, ` +
          '$collStats and 8 concurrent senders all ran. CongoDB is not MongoDB: its speed and sizes say nothing about MongoDB, so this ' +
          'section reports no figures. Search ran in $regex mode (CongoDB has no $text). Set MONGODB_URL for figures.',
      );
      out.tables.push({
        title: 'What ran (CongoDB)',
        head: ['step', 'result'],
        rows: [
          ['load (users and conversations through the store; messages by insertMany; indexes by ensureIndexes)', 'ok; the store reads the loaded messages'],
          ...reads.map((r) => [r.name, r.rows > 0 ? 'answered' : 'answered, empty']),
          ['unread counts in inbox pages', `${unread.right}/${unread.conversations} right`],
          ['bytes per message ($collStats)', typeof sizes === 'string' ? `not available: ${sizes}` : 'answered'],
          ...sends.map((s) => [s.name, s.runs.every((x) => x > 0) ? 'ran, no error' : 'no sends completed']),
        ],
      });
      return out;
    }
    out.notes.push(`${w}; loaded in ${f.loadSeconds}s. MongoDB ${target0.version ?? '?'} at MONGODB_URL, database parley_bench_<pid> (dropped afterwards).`);
    if (typeof sizes === 'string') out.notes.push(`Bytes on disk not measured: ${sizes}.`);
    else {
      const total = sizes.reduce((a, s) => a + s.storage + s.indexes, 0);
      const pgRow = pg?.tables.find((t) => t.title.startsWith('Bytes on disk'))?.rows.find((r) => r[0] === 'Parley' && r[1] === 'total');
      out.tables.push({
        title: 'Bytes on disk ($collStats storageSize, compressed, + totalIndexSize)',
        head: ['collection', 'documents', 'storage bytes', 'index bytes', 'bytes per message'],
        rows: [...sizes.map((s) => [s.name, s.count, s.storage, s.indexes, round((s.storage + s.indexes) / messages, 3)]), ['total', '', '', '', round(total / messages, 3)]],
      });
      out.notes.push(`Bytes per message: MongoDB ${Math.round(total / messages)} B; Parley on the Postgres server in this run: ${pgRow ? `${Math.round(Number(pgRow[4]))} B` : 'not run'}.`);
    }
    out.tables.push({
      title: `Read latency, ms (random users; ${plan.reads.samples} samples each), beside the Postgres server's Parley p50 of this run`,
      head: ['read path', 'MongoDB p50', 'MongoDB p99', 'Postgres server p50'],
      rows: reads.map((r) => [r.name, round(r.latency.p50, 3), round(r.latency.p99, 3), pgP50(pg, r.name)]),
    });
    out.notes.push(`Unread counts in inbox pages: right in ${unread.right}/${unread.conversations} conversations.`);
    out.tables.push({
      title: `Sends per second, ${plan.sends.concurrency} concurrent senders (${plan.sends.repetitions} rotating repetitions of ${plan.sends.seconds}s; medians)`,
      head: ['variant', 'sends/s (median)', 'ratio to ceiling', 'all repetitions'],
      rows: sends.map((s) => [s.name, Math.round(s.perSecond), round(s.ratioToCeiling, 3), s.runs.map((x) => Math.round(x)).join(' / ')]),
    });
    const [ceiling, one, group] = sends as [(typeof sends)[0], (typeof sends)[0], (typeof sends)[0]];
    out.targets.push(
      target({ id: 'mongo.send1', what: 'sends/s 1:1, Parley / raw insertOne', ratio: one.ratioToCeiling, goal: 0.5, goalText: '>= 0.5x ceiling',
        detail: `Parley ${Math.round(one.perSecond)}/s, ceiling ${Math.round(ceiling.perSecond)}/s` }),
      target({ id: 'mongo.sendGroup', what: 'sends/s 30-member groups, Parley / raw insertOne', ratio: group.ratioToCeiling, goal: 0.4, goalText: '>= 0.4x ceiling',
        detail: `Parley ${Math.round(group.perSecond)}/s, ceiling ${Math.round(ceiling.perSecond)}/s` }),
      target({ id: 'mongo.unread', what: 'inbox unread counts right', ratio: unread.conversations ? unread.right / unread.conversations : null, goal: 1, goalText: 'all right',
        detail: `${unread.right}/${unread.conversations}` }),
    );
    log(`  MongoDB reads p50: ${reads.map((r) => `${r.name.split(',')[0]} ${round(r.latency.p50, 2)} ms`).join('; ')}`);
    return out;
  } finally {
    out.durationMs = Date.now() - started;
    await sql.close();
    await target0.close();
  }
}

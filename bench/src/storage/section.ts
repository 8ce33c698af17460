import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import type { Sql } from '../db/sql.js';
import { round } from '../stats.js';
import type { Workload } from '../workload.js';
import { totalMessages } from '../workload.js';
import { explainReads } from './explain.js';
import { buildFixture } from './fixture.js';
import { checkUnread, measureReads } from './reads.js';
import type { ReadPlan } from './reads.js';
import { measureSends } from './sends.js';
import type { SendPlan } from './sends.js';
import { bothSizes } from './size.js';

/** How much to measure. */
export interface StoragePlan {
  reads: ReadPlan;
  sends: SendPlan;
  unreadUsers: number;
}

const ms = (x: number) => round(x, 3);
const times = (x: number) => `${round(x, 3)}x`;

/** The storage section on one database (a Postgres server or PGlite): load W1 into both schemas and compare. */
export async function storageSection(
  id: string,
  title: string,
  sql: Sql,
  workload: Workload,
  plan: StoragePlan,
  log: (line: string) => void,
): Promise<SectionResult> {
  const started = Date.now();
  const out = section(id, title);
  const f = await buildFixture(sql, workload, log);
  const messages = totalMessages(workload);
  out.notes.push(
    `W1 at scale ${workload.scale}: ${workload.users} users, ${workload.directs} direct conversations, ${workload.groups} groups of ${workload.groupSize}, ` +
      `${workload.directMessages + workload.groupMessages} messages + a busy channel of ${workload.busyMembers} members with ${workload.busyMessages} messages ` +
      `(${messages} messages). Load: generate ${f.loadSeconds.generate}s, Parley ${f.loadSeconds.parley}s, seed 000 ${f.loadSeconds.seed000}s.`,
  );

  // Bytes on disk.
  const sizes = await bothSizes(sql);
  const perMsg = { parley: sizes.parley.total / messages, seed: sizes.seed.total / messages };
  out.tables.push({
    title: 'Bytes on disk (tables + indexes + TOAST)',
    head: ['schema', 'table', 'rows', 'bytes', 'bytes per message'],
    rows: [
      ...sizes.parley.tables.map((t) => ['Parley', t.table, t.rows, t.bytes, round(t.bytes / messages, 3)]),
      ['Parley', 'total', '', sizes.parley.total, round(perMsg.parley, 3)],
      ...sizes.seed.tables.map((t) => ['seed 000', t.table, t.rows, t.bytes, round(t.bytes / messages, 3)]),
      ['seed 000', 'total', '', sizes.seed.total, round(perMsg.seed, 3)],
    ],
  });
  // Seed 000 as designed would also hold a status row per busy-channel message and recipient; those
  // are not loaded (100M rows at full scale) but cost what the loaded status rows cost, row for row.
  const status = sizes.seed.tables.find((t) => t.table === 'message_status');
  const perStatusRow = status && status.rows > 0 ? status.bytes / status.rows : 0;
  const missingRows = workload.busyMessages * (workload.busyMembers - 1);
  const seedW1 = (sizes.seed.total + missingRows * perStatusRow) / messages;
  out.targets.push(
    target({
      id: `${id}.size`,
      what: 'bytes on disk per message on W1, seed 000 / Parley',
      ratio: seedW1 / perMsg.parley,
      goal: 5,
      goalText: '>= 5x smaller',
      detail:
        `Parley ${Math.round(perMsg.parley)} B/msg, seed 000 ${Math.round(seedW1)} B/msg: measured, plus its ${missingRows.toLocaleString('en-US')} ` +
        `busy-channel status rows at the measured ${Math.round(perStatusRow)} B per status row`,
    }),
    target({
      id: `${id}.sizeLoaded`,
      what: 'bytes on disk per message as loaded (seed 000 without busy-channel status rows), seed 000 / Parley',
      ratio: perMsg.seed / perMsg.parley,
      goal: 5,
      goalText: '>= 5x smaller',
      detail: `Parley ${Math.round(perMsg.parley)} B/msg, seed 000 ${Math.round(perMsg.seed)} B/msg as loaded (this flatters seed 000)`,
    }),
  );
  out.tables.push({
    title: 'Where the bytes go (bytes per message, largest parts)',
    head: ['schema', 'relation', 'bytes per message'],
    rows: [
      ...sizes.parley.parts.slice(0, 8).map((p) => ['Parley', p.name, round(p.bytes / messages, 3)]),
      ...sizes.seed.parts.slice(0, 8).map((p) => ['seed 000', p.name, round(p.bytes / messages, 3)]),
    ],
  });
  log(`  sizes: Parley ${Math.round(perMsg.parley)} B/msg, seed 000 ${Math.round(perMsg.seed)} B/msg`);

  out.plans = await explainReads(f);
  const scanned = out.plans.filter((p) => p.seqScanOfEvents).map((p) => p.name);
  out.notes.push(
    scanned.length === 0
      ? `EXPLAIN: no read path scans the events table sequentially (${out.plans.length} statements checked).`
      : `EXPLAIN: sequential scan of events in: ${scanned.join(', ')}.`,
  );

  const reads = await measureReads(f, plan.reads);
  out.tables.push({
    title: `Read latency, ms (random users; ${plan.reads.samples} samples each, alternating Parley / seed 000)`,
    head: ['read path', 'Parley p50', 'Parley p99', 'seed 000 p50', 'seed 000 p99', 'p50 ratio'],
    rows: reads.map((r) => [r.name, ms(r.parley.p50), ms(r.parley.p99), ms(r.seed.p50), ms(r.seed.p99), times(r.seed.p50 / r.parley.p50)]),
  });
  log(`  reads: ${reads.map((r) => `${r.name.split(' (')[0]} ${round(r.seed.p50 / r.parley.p50, 2)}x`).join('; ')}`);
  const ratioOf = (key: string) => {
    const r = reads.find((x) => x.name.includes(key))!;
    return { ratio: r.seed.p50 / r.parley.p50, detail: `p50 Parley ${ms(r.parley.p50)} ms, seed 000 ${ms(r.seed.p50)} ms` };
  };
  const unread = await checkUnread(f, plan.unreadUsers);
  out.notes.push(
    `Unread counts in inbox pages for ${unread.users} users (${unread.conversations} conversations, ${unread.withUnread} with unread messages): ` +
      `Parley right in ${unread.parleyRight}/${unread.conversations}, seed 000's chat-list query right in ${unread.seedRight}/${unread.conversations} ` +
      `(its unread join is not scoped to the conversation, so every row shows the user's total; it also returns one row per other member, ` +
      `${unread.seedRowsPerUser} rows per user on average).`,
  );
  out.targets.push(
    target({ id: `${id}.unread`, what: 'unread total, p50 seed 000 / Parley', goal: 100, goalText: '>= 100x faster', ...ratioOf('unread total') }),
  );
  const inbox = ratioOf('inbox');
  out.targets.push(
    target({
      id: `${id}.inbox`,
      what: 'inbox page, p50 seed 000 chat list / Parley inbox, with right unread counts',
      goal: 5,
      goalText: '>= 5x faster, counts right',
      ratio: inbox.ratio,
      detail: `${inbox.detail}; counts right: Parley ${unread.parleyRight}/${unread.conversations}, seed 000 ${unread.seedRight}/${unread.conversations}`,
      ...(unread.parleyRight !== unread.conversations ? { verdict: 'MISS' as const, note: 'Parley unread counts differ from the truth' } : {}),
    }),
  );
  out.targets.push(
    target({ id: `${id}.deep`, what: 'deep history page, p50 OFFSET / keyset', goal: 50, goalText: '>= 50x faster', ...ratioOf('deep in the busy channel') }),
  );
  out.targets.push(
    target({ id: `${id}.search`, what: 'search in the busy channel, p50 ILIKE / tsvector', goal: 10, goalText: '>= 10x faster', ...ratioOf('(tsvector vs ILIKE)') }),
  );

  const sends = await measureSends(f, plan.sends);
  out.tables.push({
    title: `Sends per second, ${plan.sends.concurrency} concurrent senders (${plan.sends.repetitions} alternating repetitions of ${plan.sends.seconds}s; medians)`,
    head: ['variant', 'sends/s (median)', 'ratio to ceiling (median of per-repetition ratios)', 'all repetitions'],
    rows: sends.map((s) => [s.name, Math.round(s.perSecond), round(s.ratioToCeiling, 3), s.runs.map((x) => Math.round(x)).join(' / ')]),
  });
  log(`  sends: ${sends.map((s) => `${s.name} ${Math.round(s.perSecond)}/s`).join('; ')}`);
  const send = (name: string) => sends.find((s) => s.name === name)!;
  const one = send('Parley append, 1:1');
  const group = send('Parley append, 30-member groups');
  const ceiling = send('raw single-row INSERT ... COMMIT (ceiling)');
  out.targets.push(
    target({ id: `${id}.send1`, what: 'sends/s 1:1, Parley / raw insert', ratio: one.ratioToCeiling, goal: 0.5, goalText: '>= 0.5x ceiling',
      detail: `Parley ${Math.round(one.perSecond)}/s, ceiling ${Math.round(ceiling.perSecond)}/s, seed 000 ${Math.round(send('seed 000 send, 1:1').perSecond)}/s` }),
    target({ id: `${id}.sendGroup`, what: 'sends/s 30-member groups, Parley / raw insert', ratio: group.ratioToCeiling, goal: 0.4, goalText: '>= 0.4x ceiling',
      detail: `Parley ${Math.round(group.perSecond)}/s, ceiling ${Math.round(ceiling.perSecond)}/s, seed 000 ${Math.round(send('seed 000 send, 30-member groups').perSecond)}/s (${round(send('seed 000 send, 30-member groups').ratioToCeiling, 2)}x)` }),
  );
  out.durationMs = Date.now() - started;
  return out;
}

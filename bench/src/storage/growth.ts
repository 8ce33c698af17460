/**
 * Read paths when W1's history grows 10× (issue 14): the same users, conversations and memberships
 * in two databases, one with W1's messages and one with ten times as many per conversation, both
 * loaded into Parley's schema and seed 000's. Every sample runs the same request on all four
 * (Parley and seed 000, W1 and W1 ×10), rotating the order. Parley's p50s should stay within 1.5×
 * while the seed's grow.
 */
import { CHAT_LIST, HISTORY, SEARCH, UNREAD } from '../db/seed000.js';
import type { Sql } from '../db/sql.js';
import { serverSql, withDatabase } from '../db/sql.js';
import type { SectionResult } from '../report/model.js';
import { target } from '../report/model.js';
import { latency, round, timed } from '../stats.js';
import type { Latency } from '../stats.js';
import type { Workload } from '../workload.js';
import { totalMessages, w1 } from '../workload.js';
import { buildFixture } from './fixture.js';
import type { Fixture } from './fixture.js';
import { samplers } from './reads.js';

/** How much the growth row measures. */
export interface GrowthPlan {
  /** W1 scale of both databases (users, conversations); the second has 10× the messages. */
  scale: number;
  samples: number;
  warmup: number;
}

/** W1 at `scale` with `factor` times the messages of every conversation (same deep-history depth). */
export function grown(scale: number, factor: number): Workload {
  const w = w1(scale);
  return { ...w, directMessages: w.directMessages * factor, groupMessages: w.groupMessages * factor, busyMessages: w.busyMessages * factor };
}

type Path = [name: string, parley: (f: Fixture, i: number) => Promise<unknown>, seed: (f: Fixture, i: number) => Promise<unknown>];

function paths(base: Fixture): Path[] {
  const { user, conv, member, wordAt, depth } = samplers(base, base.workload);
  return [
    ['inbox page (20)', (f, i) => f.store.inbox({ userId: user(i).id, limit: 20 }), (f, i) => f.sql.query(CHAT_LIST, [user(i).uid])],
    ['unread total', (f, i) => f.store.unreadTotal({ userId: user(i).id, now: Date.now() }), (f, i) => f.sql.query(UNREAD, [user(i).uid])],
    ['history, newest 50', (f, i) => f.store.events({ conversationId: conv(i).id, limit: 50, timelineOnly: true }), (f, i) => f.sql.query(HISTORY, [conv(i).id, 0])],
    [
      `history, ${base.workload.deepOffset.toLocaleString('en-US')} deep in the busy channel`,
      (f, i) => f.store.events({ conversationId: f.busy.id, before: f.busy.lastSeq + 1 - depth(i), limit: 50, timelineOnly: true }),
      (f, i) => f.sql.query(HISTORY, [f.busy.id, depth(i)]),
    ],
    ['search in the busy channel', (f, i) => f.store.search({ userId: member(i).id, query: wordAt(i), conversationId: f.busy.id, limit: 50 }), (f, i) => f.sql.query(SEARCH, [member(i).uid, wordAt(i), f.busy.id])],
  ];
}

const scaleText = (scale: number) => (scale >= 1 ? String(scale) : `1/${Math.round(1 / scale)}`);

/** Time `fns` for every sample, rotating which goes first. */
async function rotateSamples(fns: Array<(i: number) => Promise<unknown>>, samples: number, warmup: number): Promise<Latency[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn(i);
  const times = fns.map(() => [] as number[]);
  for (let i = 0; i < samples; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (k + i) % fns.length;
      times[j]!.push((await timed(() => fns[j]!(warmup + i))).ms);
    }
  }
  return times.map((t) => latency(t));
}

/**
 * Build both databases next to `url` (`parley_bench_<pid>_x1` and `_x10`, dropped afterwards),
 * measure, and add the table and targets to `out`.
 */
export async function measureGrowth(url: string, plan: GrowthPlan, out: SectionResult, log: (l: string) => void): Promise<void> {
  const admin = serverSql(url, 1);
  const names = [`parley_bench_${process.pid}_x1`, `parley_bench_${process.pid}_x10`];
  const sqls: Sql[] = [];
  try {
    const fixtures: Fixture[] = [];
    for (const [k, name] of names.entries()) {
      await admin.exec(`drop database if exists ${name}`);
      await admin.exec(`create database ${name}`);
      const sql = serverSql(withDatabase(url, name), 4);
      sqls.push(sql);
      fixtures.push(await buildFixture(sql, grown(plan.scale, k === 0 ? 1 : 10), () => undefined));
    }
    const [base, big] = fixtures as [Fixture, Fixture];
    log(`  growth: W1 at ${scaleText(plan.scale)} (${totalMessages(base.workload).toLocaleString('en-US')} messages) and ×10 (${totalMessages(big.workload).toLocaleString('en-US')}) loaded`);
    const rows: Array<Array<string | number>> = [];
    for (const [name, parley, seed] of paths(base)) {
      const [p1, p10, s1, s10] = await rotateSamples([(i) => parley(base, i), (i) => parley(big, i), (i) => seed(base, i), (i) => seed(big, i)], plan.samples, plan.warmup);
      const pr = p10!.p50 / p1!.p50;
      const sr = s10!.p50 / s1!.p50;
      rows.push([name, round(p1!.p50), round(p10!.p50), `${round(pr, 3)}x`, round(s1!.p50), round(s10!.p50), `${round(sr, 3)}x`]);
      out.targets.push(
        target({
          id: `pg.growth.${name.split(/[ ,]/)[0]}${name.includes('deep') ? 'Deep' : ''}`, what: `${name}: Parley p50 on W1 ×10 history / on W1`, ratio: pr, goal: 1.5, atMost: true,
          goalText: '<= 1.5x', detail: `Parley ${round(p1!.p50)} → ${round(p10!.p50)} ms; seed 000 ${round(s1!.p50)} → ${round(s10!.p50)} ms (${round(sr, 3)}x)`,
        }),
      );
    }
    out.tables.push({
      title: `Read paths when the history grows 10× (W1 at ${scaleText(plan.scale)}: ${totalMessages(base.workload).toLocaleString('en-US')} vs ${totalMessages(big.workload).toLocaleString('en-US')} messages; same users, conversations and samples; ${plan.samples} samples, order rotating), p50 ms`,
      head: ['read path', 'Parley W1', 'Parley W1 ×10', 'Parley growth', 'seed 000 W1', 'seed 000 W1 ×10', 'seed 000 growth'],
      rows,
    });
  } finally {
    await Promise.all(sqls.map((s) => s.close()));
    for (const name of names) await admin.exec(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.close();
  }
}

/** Tables and targets of the end-to-end section, from its runs (medians over alternating repetitions). */
import type { SectionResult } from '../report/model.js';
import { target } from '../report/model.js';
import { median, round } from '../stats.js';
import type { LoopRun } from './driver.js';
import type { E2EPlan, Runs } from './section.js';
import type { E2EServers } from './servers.js';

interface Inputs {
  plan: E2EPlan;
  runs: Runs;
  servers: E2EServers;
  /** Parley-on-Postgres closed-loop peak msgs/s (the saturation rate), and the home-grown server's. */
  peak: number;
  homegrownPeak: number;
  /** The overload rate offered (3× peak). */
  overload: number;
  loaders: number;
}

const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const ms = (x: number) => (Number.isFinite(x) ? round(x, 3) : 'n/a');

/** Add the section's tables, notes and targets to `out`. */
export function e2eReport(out: SectionResult, input: Inputs): void {
  const { plan, runs, servers } = input;
  const get = (name: string, key: string): LoopRun[] => runs.get(name)?.get(key) ?? [];
  const med = (name: string, key: string, f: (r: LoopRun) => number) => median(get(name, key).map(f));
  /** Median over repetitions of f(a) / f(b), repetitions paired by index. */
  const perRep = (a: string, b: string, key: string, f: (r: LoopRun) => number) => {
    const bs = get(b, key);
    return median(get(a, key).map((r, i) => f(r) / f(bs[i]!)));
  };
  const rate = (r: LoopRun) => r.perSecond;
  const p50 = (r: LoopRun) => r.latency.p50;
  const p99 = (r: LoopRun) => r.latency.p99;
  const cpu = (r: LoopRun) => r.cpuPer1000;
  const closed = [servers.memory, servers.postgres, servers.homegrown];

  out.tables.push({
    title: `Closed loop 1:1 (each sender sends when its peer received the previous message; ${plan.repetitions} alternating repetitions of ${plan.seconds}s; medians)`,
    head: ['server', 'pairs', 'msgs/s', 'p50 ms', 'p99 ms (not judged)', 'server CPU ms per 1,000 msgs', 'SQL round trips per msg', 'msgs/s per repetition'],
    rows: plan.levels.flatMap((pairs) =>
      closed.map((t) => {
        const key = `closed ${pairs}`;
        return [
          t.label, pairs, n(med(t.name, key, rate)), ms(med(t.name, key, p50)), ms(med(t.name, key, p99)), n(med(t.name, key, cpu)),
          round(med(t.name, key, (r) => r.roundTripsPerMessage), 3), get(t.name, key).map((r) => n(rate(r))).join(' / '),
        ];
      }),
    ),
  });

  const openKeys = [`open ${plan.lightRate}`, `open ${input.overload}`];
  const peakOf = (name: string) => (name === 'homegrown' ? input.homegrownPeak : input.peak);
  out.tables.push({
    title:
      `Open loop over ${Math.max(...plan.levels)} pairs (${plan.openRepetitions} × ${plan.openSeconds}s windows; a message counts when received within ${plan.deadlineMs} ms of its send; ` +
      `overload = 3× Parley-on-Postgres's closed-loop peak of ${n(input.peak)} msgs/s)`,
    head: ['server', 'offered msgs/s', 'goodput msgs/s', 'goodput / own closed-loop peak', 'p50 ms', 'p99 ms', 'offered in window', 'refused (retryable)', 'other errors', 'timeouts'],
    rows: openKeys.flatMap((key) =>
      [servers.postgres, servers.homegrown].map((t) => {
        const rs = get(t.name, key);
        const sum = (f: (r: LoopRun) => number) => rs.reduce((a, r) => a + f(r), 0);
        return [
          t.label, key.slice(5), n(med(t.name, key, rate)), round(med(t.name, key, rate) / peakOf(t.name), 3), ms(med(t.name, key, p50)), ms(med(t.name, key, p99)),
          n(sum((r) => r.stats.sent)), n(sum((r) => r.stats.refused)), n(sum((r) => Object.values(r.stats.errors).reduce((a, x) => a + x, 0))), n(sum((r) => r.stats.timeouts)),
        ];
      }),
    ),
  });

  // Accounting: every message of every run, summed.
  const accounting: Array<Array<string | number>> = [];
  let violations = 0;
  for (const [name, byKey] of runs) {
    for (const [key, rs] of byKey) {
      const s = (f: (r: LoopRun) => number) => rs.reduce((a, r) => a + f(r), 0);
      const errs = rs.flatMap((r) => Object.entries(r.stats.errors)).reduce<Record<string, number>>((a, [c, x]) => ((a[c] = (a[c] ?? 0) + x), a), {});
      const dup = s((r) => r.stats.duplicates);
      const unexpected = s((r) => r.stats.unexpected);
      const lost = s((r) => r.stats.lost);
      violations += dup + unexpected + (key.startsWith('open') ? 0 : lost);
      accounting.push([
        name, key, n(s((r) => r.stats.sent)), n(s((r) => r.stats.acked)), n(s((r) => r.stats.received)), dup, unexpected, s((r) => r.stats.stale),
        s((r) => r.stats.refused), Object.entries(errs).map(([c, x]) => `${c} ${x}`).join(', ') || 0, s((r) => r.stats.timeouts), lost,
      ]);
    }
  }
  out.tables.push({
    title: 'Accounting: every message of every run (sums over repetitions)',
    head: ['server', 'run', 'sent', 'acked', 'received once', 'duplicates', 'wrong peer / never sent', 'stragglers of an earlier run', 'refused', 'errors', 'timeouts', 'acked, never received'],
    rows: accounting,
  });

  const big = Math.max(...plan.levels);
  const has = (pairs: number) => plan.levels.includes(pairs);
  const pg = 'postgres';
  const detail = (key: string, a: string, b: string) =>
    `${a} ${n(med(a, key, rate))} msgs/s p50 ${ms(med(a, key, p50))} ms; ${b} ${n(med(b, key, rate))} msgs/s p50 ${ms(med(b, key, p50))} ms`;
  out.targets.push(
    target({
      id: 'e2e.exactlyOnce', what: 'every message sent is received exactly once (duplicates + wrong peer + acked-never-received, closed loops)', ratio: violations, goal: 0, atMost: true,
      goalText: '0 violations', detail: `${violations} violations; see the accounting table`,
    }),
    target({
      id: 'e2e.pgVsMemory', what: `msgs/s, ${big} pairs closed loop, Postgres store / in-memory store`, ratio: perRep(pg, 'memory', `closed ${big}`, rate), goal: 0.5,
      goalText: '>= 0.5x in-memory', detail: detail(`closed ${big}`, pg, 'memory'),
    }),
    target({
      id: 'e2e.pgVsMemoryP50', what: `send-to-receive p50, ${big} pairs, Postgres store / in-memory store`, ratio: perRep(pg, 'memory', `closed ${big}`, p50), goal: 2, atMost: true,
      goalText: '<= 2x in-memory', detail: detail(`closed ${big}`, pg, 'memory'),
    }),
  );
  if (has(10)) {
    out.targets.push(
      target({
        id: 'e2e.lightP50', what: 'send-to-receive p50 at light load (10 pairs closed loop), Postgres store, ms', ratio: med(pg, 'closed 10', p50), goal: 5, atMost: true,
        goalText: '<= 5 ms', detail: `Parley on Postgres ${ms(med(pg, 'closed 10', p50))} ms, in-memory ${ms(med('memory', 'closed 10', p50))} ms, home-grown ${ms(med('homegrown', 'closed 10', p50))} ms`,
      }),
    );
  }
  for (const pairs of [50, 200].filter(has)) {
    const key = `closed ${pairs}`;
    out.targets.push(
      target({ id: `e2e.vsHomegrown${pairs}`, what: `msgs/s, ${pairs} pairs closed loop, Parley (Postgres) / home-grown`, ratio: perRep(pg, 'homegrown', key, rate), goal: 2,
        goalText: '>= 2x home-grown', detail: detail(key, pg, 'homegrown') }),
      target({ id: `e2e.p50vsHomegrown${pairs}`, what: `send-to-receive p50, ${pairs} pairs, home-grown / Parley (Postgres)`, ratio: perRep('homegrown', pg, key, p50), goal: 1,
        goalText: 'no worse (>= 1x)', detail: detail(key, pg, 'homegrown') }),
    );
  }
  out.targets.push(
    target({
      id: 'e2e.cpu', what: `server CPU per 1,000 msgs, ${big} pairs closed loop, Parley (Postgres) / home-grown`, ratio: perRep(pg, 'homegrown', `closed ${big}`, cpu), goal: 1, atMost: true,
      goalText: '<= 1x home-grown', detail: `Parley ${n(med(pg, `closed ${big}`, cpu))} ms, home-grown ${n(med('homegrown', `closed ${big}`, cpu))} ms, in-memory Parley ${n(med('memory', `closed ${big}`, cpu))} ms (server process only; Postgres's own CPU is not counted for either)`,
    }),
  );
  const over = `open ${input.overload}`;
  const overRuns = get(pg, over);
  const offeredAll = overRuns.reduce((a, r) => a + r.stats.sent, 0);
  const timeoutsAll = overRuns.reduce((a, r) => a + r.stats.timeouts, 0);
  const refusedAll = overRuns.reduce((a, r) => a + r.stats.refused, 0);
  out.targets.push(
    target({
      id: 'e2e.overload', what: `goodput at 3x saturation (${n(input.overload)} msgs/s offered) / closed-loop peak, Parley (Postgres)`, ratio: med(pg, over, rate) / input.peak, goal: 0.9,
      goalText: '>= 0.9x peak', detail: `goodput ${n(med(pg, over, rate))} msgs/s, peak ${n(input.peak)}; home-grown ${n(med('homegrown', over, rate))} msgs/s (its peak ${n(input.homegrownPeak)})`,
    }),
    target({
      id: 'e2e.overloadTimeouts', what: 'at 3x saturation, sends that time out instead of being refused, share of offered (Parley, Postgres)', ratio: offeredAll > 0 ? timeoutsAll / offeredAll : null,
      goal: 0.01, atMost: true, goalText: '<= 1% (excess refused early)', detail: `${n(offeredAll)} offered: ${n(refusedAll)} refused with retryAfterMs, ${n(timeoutsAll)} timed out`,
    }),
    target({
      id: 'e2e.lightP99', what: `open loop ${plan.lightRate} msgs/s, p99 Parley (Postgres) / home-grown`, ratio: perRep(pg, 'homegrown', `open ${plan.lightRate}`, p99), goal: 2, atMost: true,
      goalText: '<= 2x home-grown', detail: `p50 / p99: Parley ${ms(med(pg, `open ${plan.lightRate}`, p50))} / ${ms(med(pg, `open ${plan.lightRate}`, p99))} ms, home-grown ${ms(med('homegrown', `open ${plan.lightRate}`, p50))} / ${ms(med('homegrown', `open ${plan.lightRate}`, p99))} ms`,
    }),
  );

  const ck = `cluster ${plan.clusterPairs}`;
  if (servers.cluster && servers.busNode) {
    out.tables.push({
      title: `Cluster: ${plan.clusterPairs} pairs closed loop, 2 nodes with senders on node 0 and receivers on node 1 (every message crosses Redis), vs one node without a bus and one node over Redis (alternating)`,
      head: ['setup', 'msgs/s', 'p50 ms', 'p99 ms', 'CPU ms per 1,000 msgs (all nodes)', 'msgs/s per repetition'],
      rows: [servers.postgres, servers.busNode, servers.cluster].map((t) => [t.label, n(med(t.name, ck, rate)), ms(med(t.name, ck, p50)), ms(med(t.name, ck, p99)), n(med(t.name, ck, cpu)), get(t.name, ck).map((r) => n(rate(r))).join(' / ')]),
    });
  }
  out.targets.push(
    target({
      id: 'e2e.cluster', what: `msgs/s, 2 nodes over Redis / 1 node (${plan.clusterPairs} pairs closed loop, same machine)`, ratio: servers.cluster ? perRep('cluster', pg, ck, rate) : null, goal: 0.85,
      goalText: '>= 0.85x', detail: servers.cluster ? `${detail(ck, 'cluster', pg)}; 1 node over Redis ${n(med('busNode', ck, rate))} msgs/s (2 nodes / it: ${round(perRep('cluster', 'busNode', ck, rate), 3)}x)` : `not run: ${servers.clusterSkipped}`,
    }),
  );
  out.notes.push(
    `Every server runs in its own process on 127.0.0.1 and persists to the same Postgres server (a database \`parley_e2e_<pid>\` created and dropped by the run), pool of 10 each; ` +
      `${input.loaders} load-generator processes hold the pairs (sender and receiver of a pair in one process). All share this machine's cores.`,
    'The home-grown server: Socket.IO 4 (websocket transport) + `pg`; a send is seed 000\'s send (one transaction: the message and a status row per recipient), then an emit to the chat\'s room and an acknowledgement.',
    'Parley runs with its default limits except the per-user rate limits (a load generator sends faster than a person types); per-connection in-flight limits and admission control are as shipped.',
    'SQL round trips per message: statements the server process sent to Postgres during the run (Parley: every query of its kysely instance, transaction begin/commit included; home-grown: every `pg` query, begin and commit included) / messages received; a message\'s own round trips plus whatever else the server read meanwhile (connection setup is outside the runs).',
    'Closed loop: msgs/s = messages received inside the window / window. Open loop: goodput = messages sent inside the window and received within the deadline / window. CPU = the server process\'s own `process.cpuUsage()` (user + system) over the run, reported by the server, per 1,000 messages received.',
  );
}

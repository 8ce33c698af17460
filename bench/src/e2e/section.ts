/**
 * End to end over the wire (issue 14): Parley (transport-ws) on the Postgres store against the
 * home-grown Socket.IO 4 + `pg` server on seed 000's schema and against Parley on the in-memory
 * store, with the same load: closed-loop pairs at several sizes (servers alternating in every
 * repetition), then open loop at a light rate and at 3× Parley's closed-loop peak, then the
 * cluster row (2 nodes over Redis vs 1 node).
 */
import type { ChildProcess } from 'node:child_process';
import type { SectionResult } from '../report/model.js';
import { section } from '../report/model.js';
import { spawnChild, stopChild } from '../realtime/procs.js';
import { median, round } from '../stats.js';
import type { LoopRun, LoopTarget } from './driver.js';
import { closeLoops, openLoops, runLoops, settle } from './driver.js';
import { e2eReport } from './report.js';
import { startServers } from './servers.js';

/** How much the section measures. */
export interface E2EPlan {
  /** Closed-loop sizes (pairs); the report reads 10 (light), 50 and 200. */
  levels: number[];
  seconds: number;
  repetitions: number;
  /** Open loop: window per run, repetitions, and the light rate (msgs/s). */
  openSeconds: number;
  openRepetitions: number;
  lightRate: number;
  /** A message not received within this many ms of its send is a timeout. */
  deadlineMs: number;
  clusterPairs: number;
}

/** Every run, by target name and label (e.g. `closed 50`, `open 500`). */
export type Runs = Map<string, Map<string, LoopRun[]>>;

const LOADERS = 2;

function record(runs: Runs, t: LoopTarget, key: string, run: LoopRun): void {
  const byKey = runs.get(t.name) ?? new Map<string, LoopRun[]>();
  runs.set(t.name, byKey);
  byKey.set(key, [...(byKey.get(key) ?? []), run]);
}

/** Run `repetitions` rounds over `targets`, rotating their order every round. */
async function alternate(targets: LoopTarget[], repetitions: number, each: (t: LoopTarget, rep: number) => Promise<void>): Promise<void> {
  for (let rep = 0; rep < repetitions; rep++) {
    for (let k = 0; k < targets.length; k++) await each(targets[(k + rep) % targets.length]!, rep);
  }
}

/** The section; skipped without a Postgres server (both compared servers persist to it). */
export async function e2eSection(pgUrl: string, pgAnswers: boolean, plan: E2EPlan, log: (l: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const out = section('e2e', 'End to end over the wire (issue 14)');
  if (!pgAnswers) {
    out.skipped = `no Postgres server at ${pgUrl.replace(/\/\/[^@]*@/, '//…@')}; both servers compared persist to one (set PARLEY_PG_URL)`;
    return out;
  }
  const maxPairs = Math.max(...plan.levels);
  const servers = await startServers(pgUrl, maxPairs, plan.clusterPairs, log);
  const loaders: ChildProcess[] = [];
  const runs: Runs = new Map();
  try {
    for (let i = 0; i < LOADERS; i++) loaders.push(spawnChild('../realtime/client-proc.ts', []));
    const closedTargets = [servers.memory, servers.postgres, servers.homegrown];
    for (const pairs of plan.levels) {
      await Promise.all(closedTargets.map((t) => openLoops(loaders, t, pairs)));
      await alternate(closedTargets, plan.repetitions, async (t) => {
        record(runs, t, `closed ${pairs}`, await runLoops(loaders, t, { mode: 'closed', pairs, seconds: plan.seconds, rate: 0, deadlineMs: plan.deadlineMs }));
      });
      await Promise.all(closedTargets.map((t) => closeLoops(loaders, t)));
      const line = closedTargets.map((t) => {
        const r = runs.get(t.name)!.get(`closed ${pairs}`)!;
        return `${t.name} ${Math.round(median(r.map((x) => x.perSecond)))}/s p50 ${round(median(r.map((x) => x.latency.p50)))} ms`;
      });
      log(`  closed loop, ${pairs} pairs: ${line.join('; ')}`);
    }

    // Saturation: the closed-loop peak of Parley on Postgres; offer 3× that.
    const peakOf = (name: string) => Math.max(...plan.levels.map((pairs) => median(runs.get(name)!.get(`closed ${pairs}`)!.map((x) => x.perSecond))));
    const peak = peakOf('postgres');
    const overload = Math.max(1, Math.round(3 * peak));
    const openTargets = [servers.postgres, servers.homegrown];
    await Promise.all(openTargets.map((t) => openLoops(loaders, t, maxPairs)));
    for (const rate of [plan.lightRate, overload]) {
      await alternate(openTargets, plan.openRepetitions, async (t) => {
        record(runs, t, `open ${rate}`, await runLoops(loaders, t, { mode: 'open', pairs: maxPairs, seconds: plan.openSeconds, rate, deadlineMs: plan.deadlineMs }));
        // Let a backlog drain before the other server's run (bounded).
        await settle(t, 30_000);
      });
      log(`  open loop ${rate} msgs/s: ${openTargets.map((t) => `${t.name} goodput ${Math.round(median(runs.get(t.name)!.get(`open ${rate}`)!.map((x) => x.perSecond)))}/s`).join('; ')}`);
    }
    await Promise.all(openTargets.map((t) => closeLoops(loaders, t)));

    if (servers.cluster && servers.busNode) {
      const pair = [servers.postgres, servers.busNode, servers.cluster];
      await Promise.all(pair.map((t) => openLoops(loaders, t, plan.clusterPairs)));
      await alternate(pair, plan.repetitions, async (t) => {
        record(runs, t, `cluster ${plan.clusterPairs}`, await runLoops(loaders, t, { mode: 'closed', pairs: plan.clusterPairs, seconds: plan.seconds, rate: 0, deadlineMs: plan.deadlineMs }));
      });
      await Promise.all(pair.map((t) => closeLoops(loaders, t)));
    }
    e2eReport(out, { plan, runs, servers, peak, homegrownPeak: peakOf('homegrown'), overload, loaders: LOADERS });
  } finally {
    await Promise.all(loaders.map((l) => stopChild(l)));
    await servers.stop();
  }
  out.durationMs = Date.now() - started;
  return out;
}

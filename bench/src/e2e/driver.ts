/**
 * Drives the end-to-end loops on the load generators and samples the servers' CPU around each run.
 * Pair j goes to load generator j mod L (sender and receiver of a pair in the same process, so
 * send-to-receive latency is read off one clock).
 */
import type { ChildProcess } from 'node:child_process';
import type { ClientReport, LoopStats, ServerCpu } from '../realtime/messages.js';
import { nextMessage } from '../realtime/procs.js';
import { TIMEOUT } from '../realtime/servers.js';
import { latency } from '../stats.js';
import type { Latency } from '../stats.js';

/** A server (or a cluster of nodes) the loops run against. */
export interface LoopTarget {
  name: string;
  label: string;
  kind: 'parley' | 'homegrown';
  senderPort: number;
  receiverPort: number;
  pairIds: string[];
  /** The server processes whose CPU is counted (two for a cluster). */
  procs: ChildProcess[];
}

/** One loop run on one target, every load generator summed. */
export interface LoopRun {
  stats: LoopStats;
  /** Closed loop: messages received in the window per second; open loop: goodput per second. */
  perSecond: number;
  latency: Latency;
  /** Server process CPU (user + system) per 1,000 messages received, ms. */
  cpuPer1000: number;
  /** Offered messages per second (open loop) or 0. */
  offered: number;
  /** SQL statements the server sent to Postgres per message received (each a round trip). */
  roundTripsPerMessage: number;
}

const group = (t: LoopTarget) => `loop-${t.name}`;
const share = <T>(list: T[], loaders: number, i: number) => list.filter((_, j) => j % loaders === i);

/** CPU ms (user + system) and SQL round trips so far, summed over the processes. */
async function readings(procs: ChildProcess[]): Promise<{ cpu: number; sql: number }> {
  const all = await Promise.all(
    procs.map((p) => {
      const wait = nextMessage<ServerCpu>(p, (m) => m.type === 'cpu', TIMEOUT);
      p.send({ type: 'cpu' });
      return wait;
    }),
  );
  return { cpu: all.reduce((a, c) => a + (c.user + c.system) / 1000, 0), sql: all.reduce((a, c) => a + c.sqlRoundTrips, 0) };
}

const cpuMs = async (procs: ChildProcess[]) => (await readings(procs)).cpu;

/**
 * Wait until the target's processes are idle (under 10% of a core over 250 ms), at most `maxMs`:
 * after an overloaded open-loop run a server may still be working off its backlog, which would
 * otherwise steal CPU from the next server's run.
 */
export async function settle(target: LoopTarget, maxMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const before = await cpuMs(target.procs);
    await new Promise((r) => setTimeout(r, 250));
    const busy = (await cpuMs(target.procs)) - before;
    if (busy < 25 || Date.now() - start > maxMs) return Date.now() - start;
  }
}

/** Open `pairs` pairs on `target` across the load generators. */
export async function openLoops(loaders: ChildProcess[], target: LoopTarget, pairs: number): Promise<void> {
  if (target.pairIds.length < pairs) throw new Error(`${target.name} has ${target.pairIds.length} pairs, ${pairs} asked`);
  const all = Array.from({ length: pairs }, (_, i) => i);
  await Promise.all(
    loaders.map((l, i) => {
      const wait = nextMessage<ClientReport>(l, (m) => m.type === 'loopOpened' && m.group === group(target), TIMEOUT);
      l.send({ type: 'loopOpen', group: group(target), kind: target.kind, senderPort: target.senderPort, receiverPort: target.receiverPort, pairs: share(all, loaders.length, i), pairIds: target.pairIds });
      return wait;
    }),
  );
}

/** Close the pairs of `target`. */
export async function closeLoops(loaders: ChildProcess[], target: LoopTarget): Promise<void> {
  await Promise.all(
    loaders.map((l) => {
      const wait = nextMessage<ClientReport>(l, (m) => m.type === 'loopClosed' && m.group === group(target), TIMEOUT);
      l.send({ type: 'loopClose', group: group(target) });
      return wait;
    }),
  );
}

/** Sum the stats of the load generators. */
export function sumStats(list: LoopStats[]): LoopStats {
  const out: LoopStats = { sent: 0, acked: 0, received: 0, onTime: 0, late: 0, duplicates: 0, unexpected: 0, stale: 0, refused: 0, errors: {}, timeouts: 0, lost: 0, latencies: [], windowMs: 0 };
  for (const s of list) {
    for (const k of ['sent', 'acked', 'received', 'onTime', 'late', 'duplicates', 'unexpected', 'stale', 'refused', 'timeouts', 'lost'] as const) out[k] += s[k];
    for (const [code, n] of Object.entries(s.errors)) out.errors[code] = (out.errors[code] ?? 0) + n;
    out.latencies.push(...s.latencies);
    out.windowMs = Math.max(out.windowMs, s.windowMs);
  }
  return out;
}

/**
 * One loop on `target` (its pairs opened with {@link openLoops}): closed, or open at `rate` msgs/s
 * in total (split over the load generators in proportion to their pairs).
 */
export async function runLoops(
  loaders: ChildProcess[],
  target: LoopTarget,
  spec: { mode: 'closed' | 'open'; pairs: number; seconds: number; rate: number; deadlineMs: number },
): Promise<LoopRun> {
  const before = await readings(target.procs);
  const reports = (await Promise.all(
    loaders.map((l, i) => {
      const mine = share(Array.from({ length: spec.pairs }, (_, j) => j), loaders.length, i).length;
      const wait = nextMessage<ClientReport>(l, (m) => m.type === 'loopDone' && m.group === group(target), TIMEOUT + (spec.seconds * 1000 + spec.deadlineMs) * 2);
      l.send({ type: 'loop', group: group(target), mode: spec.mode, seconds: spec.seconds, rate: (spec.rate * mine) / spec.pairs, deadlineMs: spec.deadlineMs });
      return wait;
    }),
  )) as Array<{ stats: LoopStats }>;
  const after = await readings(target.procs);
  const cpu = after.cpu - before.cpu;
  const stats = sumStats(reports.map((r) => r.stats));
  return {
    stats,
    perSecond: stats.onTime / (stats.windowMs / 1000),
    latency: latency(stats.latencies),
    cpuPer1000: stats.received > 0 ? cpu / (stats.received / 1000) : Number.NaN,
    offered: spec.mode === 'open' ? spec.rate : 0,
    roundTripsPerMessage: stats.received > 0 ? (after.sql - before.sql) / stats.received : Number.NaN,
  };
}

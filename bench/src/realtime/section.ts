import type { ChildProcess } from 'node:child_process';
import { hasExports } from '../available.js';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import { latency, median, round } from '../stats.js';
import { measureFanout } from './fanout.js';
import type { RealtimeStore, ServerReady } from './messages.js';
import { measurePairs } from './pairs.js';
import { spawnChild, nextMessage, stopChild } from './procs.js';
import type { RunningServer } from './servers.js';
import { closeEverywhere, memoryOf, openEverywhere, serverSpecs, TIMEOUT } from './servers.js';

/** How much the real-time section measures. */
export interface RealtimePlan {
  idle: number;
  fanoutMembers: number;
  fanoutMessages: number;
  pairs: number;
  seconds: number;
  repetitions: number;
}

const LOADERS = 2;
/** Target ids: the in-memory Parley keeps the ids of earlier reports; the others get `realtime.<store>.`. */
const idOf = (s: RunningServer, what: string) => (s.store === 'memory' ? `realtime.${what}` : `realtime.${s.store}.${what}`);

/**
 * Real-time section: Parley on each store (the in-memory store, then the Postgres store), raw ws
 * and Socket.IO, each server in its own process, two load generator processes, 127.0.0.1 only.
 * Idle memory per connection, fan-out to a channel (alternating servers per message), and
 * Parley's sustained 1:1 sends on each store.
 */
export async function realtimeSection(plan: RealtimePlan, stores: RealtimeStore[], log: (l: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const out = section('realtime', 'Real-time (WebSocket)');
  if (!(await hasExports('@parley/transport-ws', ['createWsServer']))) {
    out.skipped = '@parley/transport-ws does not export createWsServer yet';
    return out;
  }
  const servers: RunningServer[] = [];
  const loaders: ChildProcess[] = [];
  try {
    for (const spec of serverSpecs(stores)) {
      const t = Date.now();
      const proc = spawnChild('./server-proc.ts', [spec.kind, String(plan.fanoutMembers), String(plan.pairs), spec.store ?? 'memory']);
      servers.push({ ...spec, proc, ready: await nextMessage<ServerReady>(proc, (m) => m.type === 'ready', TIMEOUT * 3) });
      if (spec.kind === 'parley') log(`  ${spec.label} ready in ${round((Date.now() - t) / 1000, 2)}s`);
    }
    for (let i = 0; i < LOADERS; i++) loaders.push(spawnChild('./client-proc.ts', []));
    const parleys = servers.filter((s) => s.kind === 'parley');
    const byName = (name: string) => servers.find((s) => s.name === name)!;

    // Idle memory, one server at a time.
    const mem = new Map<string, { rss: number; heap: number }>();
    for (const s of servers) {
      const before = await memoryOf(s.proc);
      await openEverywhere(loaders, s.kind, s.ready.port, 'idle', Array.from({ length: plan.idle }, (_, i) => `idle${i}`));
      await new Promise((r) => setTimeout(r, 1000));
      const after = await memoryOf(s.proc);
      mem.set(s.name, { rss: (after.rss - before.rss) / plan.idle, heap: (after.heap - before.heap) / plan.idle });
      await closeEverywhere(loaders, 'idle');
      log(`  idle ${s.name}: ${Math.round(mem.get(s.name)!.rss)} B RSS/connection`);
    }
    const rss = (name: string) => Math.round(mem.get(name)!.rss);
    out.tables.push({
      title: `Server memory per idle connection at ${plan.idle.toLocaleString('en-US')} connections (after GC), bytes`,
      head: ['server', 'RSS per connection', 'JS heap + external per connection'],
      rows: servers.map((s) => [s.label, rss(s.name), Math.round(mem.get(s.name)!.heap)]),
    });
    for (const p of parleys) {
      out.targets.push(
        target({
          id: idOf(p, 'idle'),
          what: `idle memory per connection (RSS), ${p.label} / raw ws`,
          ratio: mem.get(p.name)!.rss / mem.get('ws')!.rss,
          goal: 1.5,
          atMost: true,
          goalText: '<= 1.5x raw ws',
          detail: `RSS/connection: Parley ${rss(p.name)} B, raw ws ${rss('ws')} B, Socket.IO ${rss('socketio')} B`,
        }),
      );
    }

    const { times, bytes } = await measureFanout(loaders, servers, plan.fanoutMembers, plan.fanoutMessages);
    const p50 = (name: string) => round(median(times.get(name)!));
    const perRound = (name: string, base: string) => median(times.get(name)!.map((t, i) => times.get(base)![i]! / t));
    out.tables.push({
      title: `Fan-out of one message (${bytes} bytes as received) to a ${plan.fanoutMembers}-member channel: time until all received, ms (${plan.fanoutMessages} messages, servers alternating)`,
      head: ['server', 'p50 ms', 'p99 ms', 'deliveries/s at p50'],
      rows: servers.map((s) => [s.label, p50(s.name), round(latency(times.get(s.name)!).p99), Math.round((plan.fanoutMembers / median(times.get(s.name)!)) * 1000)]),
    });
    log(`  fan-out p50 ms: ${servers.map((s) => `${s.name} ${p50(s.name)}`).join(', ')}`);
    for (const p of parleys) {
      out.targets.push(
        target({ id: idOf(p, 'fanoutWs'), what: `fan-out throughput, ${p.label} / raw ws`, ratio: perRound(p.name, 'ws'), goal: 0.5, goalText: '>= 0.5x raw ws',
          detail: `p50 Parley ${p50(p.name)} ms, raw ws ${p50('ws')} ms` }),
        target({ id: idOf(p, 'fanoutIo'), what: `fan-out throughput, ${p.label} / Socket.IO`, ratio: perRound(p.name, 'socketio'), goal: 1, goalText: '>= Socket.IO',
          detail: `p50 Parley ${p50(p.name)} ms, Socket.IO ${p50('socketio')} ms` }),
      );
    }

    // Sustained 1:1 on each Parley server: closed-loop senders, send-to-receive latency.
    const rows: Array<Array<string | number>> = [];
    for (const p of parleys) {
      const r = await measurePairs(loaders, byName(p.name), plan);
      rows.push([p.label, Math.round(r.perSecond), round(r.latency.p50), round(r.latency.p99), r.rates.map((x) => Math.round(x)).join(' / ')]);
      log(`  1:1 ${p.name}: ${Math.round(r.perSecond)} msgs/s, p50 ${round(r.latency.p50)} ms`);
    }
    out.tables.push({
      title: `Parley sustained 1:1 messages (${plan.pairs} pairs, closed loop, ${plan.repetitions} × ${plan.seconds}s)`,
      head: ['server', 'msgs/s (median)', 'send-to-receive p50 ms', 'p99 ms', 'all repetitions msgs/s'],
      rows,
    });
    out.notes.push(
      'Servers, load generators and the orchestrator run in separate processes on this machine (2 cores): the load generators compete with the server for CPU, equally for every server compared.',
    );
    if (stores.includes('postgres')) {
      out.notes.push('The Postgres store runs on the Postgres server at PARLEY_PG_URL (on this machine, sharing its 2 cores), in a schema of its own (`parley_rt_<pid>`) dropped afterwards.');
    }
    if (stores.includes('pglite')) out.notes.push('The Postgres store runs on PGlite (in memory, inside the server process): no Postgres server was reachable at PARLEY_PG_URL.');
  } finally {
    await Promise.all([...servers.map((s) => stopChild(s.proc)), ...loaders.map((l) => stopChild(l))]);
  }
  out.durationMs = Date.now() - started;
  return out;
}

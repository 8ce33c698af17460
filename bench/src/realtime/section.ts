import type { ChildProcess } from 'node:child_process';
import { hasExports } from '../available.js';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import { latency, median, round } from '../stats.js';
import type { ClientReport, ServerKind, ServerMemory, ServerReady } from './messages.js';
import { fanMarker } from './messages.js';
import { nextMessage, spawnChild, stopChild } from './procs.js';

/** How much the real-time section measures. */
export interface RealtimePlan {
  idle: number;
  fanoutMembers: number;
  fanoutMessages: number;
  pairs: number;
  seconds: number;
  repetitions: number;
}

const KINDS: ServerKind[] = ['parley', 'ws', 'socketio'];
const NAMES: Record<ServerKind, string> = { parley: 'Parley (transport-ws)', ws: 'raw ws (ceiling)', socketio: 'Socket.IO 4' };
const LOADERS = 2;
const TIMEOUT = 120_000;

/** Split `users` over the load generators and open them as `group` on every one; resolves when all are connected. */
async function openEverywhere(loaders: ChildProcess[], kind: ServerKind, port: number, group: string, users: string[]): Promise<void> {
  const waits = loaders.map((l, i) => {
    const mine = users.filter((_, j) => j % loaders.length === i);
    const wait = nextMessage<ClientReport>(l, (m) => m.type === 'opened' && m.group === group, TIMEOUT);
    l.send({ type: 'open', kind, port, group, users: mine });
    return wait;
  });
  await Promise.all(waits);
}

async function closeEverywhere(loaders: ChildProcess[], group: string): Promise<void> {
  await Promise.all(
    loaders.map((l) => {
      const wait = nextMessage<ClientReport>(l, (m) => m.type === 'closed' && m.group === group, TIMEOUT);
      l.send({ type: 'close', group });
      return wait;
    }),
  );
}

async function memoryOf(server: ChildProcess): Promise<ServerMemory> {
  const wait = nextMessage<ServerMemory>(server, (m) => m.type === 'memory', TIMEOUT);
  server.send({ type: 'memory' });
  return wait;
}

/**
 * Real-time section: three servers (Parley, raw ws, Socket.IO) in their own processes, two load
 * generator processes, 127.0.0.1 only. Idle memory per connection, fan-out to a channel (alternating
 * servers per message), and Parley's sustained 1:1 sends.
 */
export async function realtimeSection(plan: RealtimePlan, log: (l: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const out = section('realtime', 'Real-time (WebSocket)');
  if (!(await hasExports('@parley/transport-ws', ['createWsServer']))) {
    out.skipped = '@parley/transport-ws does not export createWsServer yet';
    return out;
  }
  const servers = new Map<ServerKind, { proc: ChildProcess; ready: ServerReady }>();
  const loaders: ChildProcess[] = [];
  try {
    for (const kind of KINDS) {
      const proc = spawnChild('./server-proc.ts', [kind, String(plan.fanoutMembers), String(plan.pairs)]);
      const ready = await nextMessage<ServerReady>(proc, (m) => m.type === 'ready', TIMEOUT);
      servers.set(kind, { proc, ready });
    }
    for (let i = 0; i < LOADERS; i++) loaders.push(spawnChild('./client-proc.ts', []));

    // Idle memory, one server at a time.
    const mem = new Map<ServerKind, { rss: number; heap: number }>();
    for (const kind of KINDS) {
      const { proc, ready } = servers.get(kind)!;
      const before = await memoryOf(proc);
      const users = Array.from({ length: plan.idle }, (_, i) => `idle${i}`);
      await openEverywhere(loaders, kind, ready.port, 'idle', users);
      await new Promise((r) => setTimeout(r, 1000));
      const after = await memoryOf(proc);
      mem.set(kind, { rss: (after.rss - before.rss) / plan.idle, heap: (after.heap - before.heap) / plan.idle });
      await closeEverywhere(loaders, 'idle');
      log(`  idle ${kind}: ${Math.round(mem.get(kind)!.rss)} B RSS/connection`);
    }
    out.tables.push({
      title: `Server memory per idle connection at ${plan.idle.toLocaleString('en-US')} connections (after GC), bytes`,
      head: ['server', 'RSS per connection', 'JS heap + external per connection'],
      rows: KINDS.map((k) => [NAMES[k], Math.round(mem.get(k)!.rss), Math.round(mem.get(k)!.heap)]),
    });
    out.targets.push(
      target({
        id: 'realtime.idle',
        what: 'idle memory per connection (RSS), Parley / raw ws',
        ratio: mem.get('parley')!.rss / mem.get('ws')!.rss,
        goal: 1.5,
        atMost: true,
        goalText: '<= 1.5x raw ws',
        detail: `RSS/connection: Parley ${Math.round(mem.get('parley')!.rss)} B, raw ws ${Math.round(mem.get('ws')!.rss)} B, Socket.IO ${Math.round(mem.get('socketio')!.rss)} B`,
      }),
    );

    // Fan-out: every server has the channel connected; messages alternate between servers.
    const members = Array.from({ length: plan.fanoutMembers }, (_, i) => `m${i}`);
    for (const kind of KINDS) {
      const { ready } = servers.get(kind)!;
      await openEverywhere(loaders, kind, ready.port, `fan-${kind}`, members);
      await openEverywhere(loaders.slice(0, 1), kind, ready.port, `sender-${kind}`, ['sender']);
    }
    let bytes = 0;
    const times = new Map<ServerKind, number[]>(KINDS.map((k) => [k, []]));
    for (let k = 0; k <= plan.fanoutMessages; k++) {
      const order = KINDS.map((_, i) => KINDS[(i + k) % KINDS.length]!);
      if (k === 0) order.sort((a) => (a === 'parley' ? -1 : 1));
      for (const kind of order) {
        const { ready } = servers.get(kind)!;
        const marker = `${fanMarker(k)}${kind}`;
        const text =
          kind === 'parley'
            ? JSON.stringify({ id: `f${k}`, op: 'send', params: { conversationId: ready.channelId, clientId: `f${k}`, text: marker } })
            : marker.padEnd(Math.max(marker.length, bytes), '.');
        const done = loaders.map((l) => nextMessage<ClientReport>(l, (m) => m.type === 'fanDone' && m.group === `fan-${kind}` && m.k === k, TIMEOUT));
        const sent = nextMessage<ClientReport>(loaders[0]!, (m) => m.type === 'sent' && m.group === `sender-${kind}`, TIMEOUT);
        loaders[0]!.send({ type: 'send', group: `sender-${kind}`, text });
        const at = ((await sent) as { at: number }).at;
        const reports = (await Promise.all(done)) as Array<{ last: number; bytes: number }>;
        if (kind === 'parley') bytes = reports[0]!.bytes;
        if (k > 0) times.get(kind)!.push(Math.max(...reports.map((r) => r.last)) - at);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const rate = (kind: ServerKind) => (plan.fanoutMembers / median(times.get(kind)!)) * 1000;
    const perRound = (kind: ServerKind, base: ServerKind) => median(times.get(kind)!.map((t, i) => times.get(base)![i]! / t));
    out.tables.push({
      title: `Fan-out of one message (${bytes} bytes as received) to a ${plan.fanoutMembers}-member channel: time until all received, ms (${plan.fanoutMessages} messages, servers alternating)`,
      head: ['server', 'p50 ms', 'p99 ms', 'deliveries/s at p50'],
      rows: KINDS.map((k) => [NAMES[k], round(latency(times.get(k)!).p50), round(latency(times.get(k)!).p99), Math.round(rate(k))]),
    });
    log(`  fan-out p50 ms: ${KINDS.map((k) => `${k} ${round(median(times.get(k)!))}`).join(', ')}`);
    out.targets.push(
      target({ id: 'realtime.fanoutWs', what: 'fan-out throughput, Parley / raw ws', ratio: perRound('parley', 'ws'), goal: 0.5, goalText: '>= 0.5x raw ws',
        detail: `p50 Parley ${round(median(times.get('parley')!))} ms, raw ws ${round(median(times.get('ws')!))} ms` }),
      target({ id: 'realtime.fanoutIo', what: 'fan-out throughput, Parley / Socket.IO', ratio: perRound('parley', 'socketio'), goal: 1, goalText: '>= Socket.IO',
        detail: `p50 Parley ${round(median(times.get('parley')!))} ms, Socket.IO ${round(median(times.get('socketio')!))} ms` }),
    );
    for (const kind of KINDS) {
      await closeEverywhere(loaders, `fan-${kind}`);
      await closeEverywhere(loaders.slice(0, 1), `sender-${kind}`);
    }

    // Sustained 1:1 on Parley: closed-loop senders, send-to-receive latency.
    const parley = servers.get('parley')!;
    const pairUsers = Array.from({ length: plan.pairs }, (_, i) => [`a${i}`, `b${i}`]);
    await Promise.all(
      loaders.map((l, i) => {
        const mine = pairUsers.filter((_, j) => j % LOADERS === i).flat();
        const wait = nextMessage<ClientReport>(l, (m) => m.type === 'opened' && m.group === 'pairs', TIMEOUT);
        l.send({ type: 'open', kind: 'parley', port: parley.ready.port, group: 'pairs', users: mine });
        return wait;
      }),
    );
    const rates: number[] = [];
    const lat: number[] = [];
    for (let rep = 0; rep < plan.repetitions; rep++) {
      const reports = (await Promise.all(
        loaders.map((l) => {
          const wait = nextMessage<ClientReport>(l, (m) => m.type === 'pairsDone', TIMEOUT + plan.seconds * 1000);
          l.send({ type: 'pairs', kind: 'parley', group: 'pairs', pairIds: parley.ready.pairIds, seconds: plan.seconds });
          return wait;
        }),
      )) as Array<{ received: number; latencies: number[] }>;
      rates.push(reports.reduce((a, r) => a + r.received, 0) / plan.seconds);
      for (const r of reports) lat.push(...r.latencies);
    }
    const l1 = latency(lat);
    out.tables.push({
      title: `Parley sustained 1:1 messages (${plan.pairs} pairs, closed loop, ${plan.repetitions} × ${plan.seconds}s, in-memory store)`,
      head: ['msgs/s (median)', 'send-to-receive p50 ms', 'p99 ms', 'all repetitions msgs/s'],
      rows: [[Math.round(median(rates)), round(l1.p50), round(l1.p99), rates.map((r) => Math.round(r)).join(' / ')]],
    });
    log(`  1:1: ${Math.round(median(rates))} msgs/s, p50 ${round(l1.p50)} ms`);
    out.notes.push('Servers, load generators and the orchestrator run in separate processes on this machine (2 cores): the load generators compete with the server for CPU, equally for every server compared.');
  } finally {
    for (const { proc } of servers.values()) stopChild(proc);
    for (const l of loaders) stopChild(l);
  }
  out.durationMs = Date.now() - started;
  return out;
}

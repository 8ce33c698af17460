import type { ChildProcess } from 'node:child_process';
import { latency, median } from '../stats.js';
import type { Latency } from '../stats.js';
import type { ClientReport } from './messages.js';
import { nextMessage } from './procs.js';
import type { RunningServer } from './servers.js';
import { closeEverywhere, TIMEOUT } from './servers.js';

/** Sustained 1:1 messages on one Parley server: msgs/s per repetition and send-to-receive latency. */
export interface PairsResult {
  rates: number[];
  perSecond: number;
  latency: Latency;
}

/** Closed-loop 1:1 senders on `server` (pairs a<i>/b<i> split over the load generators), `repetitions` × `seconds`. */
export async function measurePairs(loaders: ChildProcess[], server: RunningServer, plan: { pairs: number; seconds: number; repetitions: number }): Promise<PairsResult> {
  const group = `pairs-${server.name}`;
  const pairUsers = Array.from({ length: plan.pairs }, (_, i) => [`a${i}`, `b${i}`]);
  await Promise.all(
    loaders.map((l, i) => {
      const mine = pairUsers.filter((_, j) => j % loaders.length === i).flat();
      const wait = nextMessage<ClientReport>(l, (m) => m.type === 'opened' && m.group === group, TIMEOUT);
      l.send({ type: 'open', kind: 'parley', port: server.ready.port, group, users: mine });
      return wait;
    }),
  );
  const rates: number[] = [];
  const lat: number[] = [];
  for (let rep = 0; rep < plan.repetitions; rep++) {
    const reports = (await Promise.all(
      loaders.map((l) => {
        const wait = nextMessage<ClientReport>(l, (m) => m.type === 'pairsDone' && m.group === group, TIMEOUT + plan.seconds * 1000);
        l.send({ type: 'pairs', kind: 'parley', group, pairIds: server.ready.pairIds, seconds: plan.seconds });
        return wait;
      }),
    )) as Array<{ received: number; latencies: number[] }>;
    rates.push(reports.reduce((a, r) => a + r.received, 0) / plan.seconds);
    for (const r of reports) lat.push(...r.latencies);
  }
  await closeEverywhere(loaders, group);
  return { rates, perSecond: median(rates), latency: latency(lat) };
}

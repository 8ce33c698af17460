/**
 * Throughput and latency of a local cluster, for docs/scaling.md.
 *
 *   npx tsx --conditions=@parley/source examples/cluster/measure.ts [--seconds 8] [--clients 40] [--group 5] [--rounds 2] [--lanes 1]
 *
 * Alternates runs on 1 node and on 2 nodes behind the balancer (own Postgres schema and Redis prefix
 * each). Every client keeps `--lanes` sends in flight (default 1) in a group of `--group` members. Reports committed
 * messages/s, pushed deliveries/s and the median time from send to another member's client seeing the
 * message (same process clock), per run. Needs the local Postgres and Redis.
 */
import type { ParleyClient } from '@parley/client';
import { startBalancer } from './src/balancer.js';
import { startCluster } from './src/cluster.js';
import { SECRET, clientFor, isolation, openAdmin } from './test/support.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const seconds = arg('seconds', 8);
const clientCount = arg('clients', 40);
const groupSize = arg('group', 5);
const rounds = arg('rounds', 2);
const lanes = arg('lanes', 1);

async function run(nodes: number) {
  const { schema, redisPrefix } = isolation();
  const cluster = await startCluster({ nodes, schema, redisPrefix, secret: SECRET, log: () => {} });
  const balancer = await startBalancer({ backends: () => cluster.nodes.map((n) => n.port) });
  const admin = await openAdmin(schema, redisPrefix);
  const clients: ParleyClient[] = [];
  try {
    const users = Array.from({ length: clientCount }, (_, i) => `m${i}`);
    for (const id of users) await admin.chat.upsertUser({ id, displayName: id });
    const groups: string[] = [];
    for (let g = 0; g * groupSize < users.length; g++) {
      const members = users.slice(g * groupSize, (g + 1) * groupSize);
      groups.push((await admin.chat.as(members[0]!).createGroup({ title: `g${g}`, memberIds: members.slice(1) })).id);
    }
    const url = `ws://127.0.0.1:${balancer.port}/parley`;
    for (const u of users) clients.push(clientFor(url, u));
    await Promise.all(clients.map((c) => c.ready()));
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let deliveries = 0;
    clients.forEach((c, i) =>
      c.on('event', (e) => {
        if (e.type !== 'message' || e.message.senderId === users[i]) return;
        deliveries++;
        const t = sentAt.get(e.message.clientId ?? '');
        if (t !== undefined) latencies.push(Date.now() - t);
      }),
    );
    await Promise.all(clients.map((c, i) => c.open(groups[Math.floor(i / groupSize)]!)));
    let committed = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      clients.map(async (c, i) => {
        const conversationId = groups[Math.floor(i / groupSize)]!;
        const lane = async () => {
          for (let k = 0; Date.now() < end; k++) {
            const clientId = `${users[i]}-${k}-${Math.random().toString(36).slice(2, 8)}`;
            sentAt.set(clientId, Date.now());
            await c.send({ conversationId, clientId, text: 'x' }).message;
            committed++;
          }
        };
        await Promise.all(Array.from({ length: lanes }, lane));
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)] ?? NaN;
    return { nodes, msgPerSec: Math.round(committed / seconds), deliveriesPerSec: Math.round(deliveries / seconds), p50 };
  } finally {
    for (const c of clients) c.close();
    await balancer.close();
    await cluster.stop();
    await admin.dispose();
  }
}

const results: Awaited<ReturnType<typeof run>>[] = [];
for (let r = 0; r < rounds; r++) {
  for (const nodes of [1, 2]) {
    const res = await run(nodes);
    results.push(res);
    console.log(`round ${r + 1}: ${nodes} node(s): ${res.msgPerSec} msg/s committed, ${res.deliveriesPerSec} deliveries/s, p50 send→other member ${res.p50} ms`);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round(((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2);
};
for (const nodes of [1, 2]) {
  const mine = results.filter((r) => r.nodes === nodes);
  console.log(`median ${nodes} node(s): ${median(mine.map((r) => r.msgPerSec))} msg/s, p50 ${median(mine.map((r) => r.p50))} ms`);
}
process.exit(0);

/**
 * The servers of the end-to-end section, each its own process on 127.0.0.1, persisting to a
 * database the run creates (`parley_e2e_<pid>`) and drops: Parley on the in-memory store, Parley on
 * the Postgres store (pool of 10), the home-grown Socket.IO + `pg` server (pool of 10, seed 000's
 * schema) and, when Redis answers, two Parley nodes sharing one schema over Redis.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createSeed000 } from '../db/seed000.js';
import { serverSql, withDatabase } from '../db/sql.js';
import type { ServerOptions, ServerReady } from '../realtime/messages.js';
import { nextMessage, spawnChild, stopChild } from '../realtime/procs.js';
import { TIMEOUT } from '../realtime/servers.js';
import type { LoopTarget } from './driver.js';

/** Running servers and how to stop them. */
export interface E2EServers {
  memory: LoopTarget;
  postgres: LoopTarget;
  homegrown: LoopTarget;
  /** Two Parley nodes over Redis: senders on node 0, receivers on node 1 (so every message crosses the bus). */
  cluster: LoopTarget | null;
  /** One Parley node with the Redis bus (what examples/cluster calls 1 node): the bus's cost without a second process. */
  busNode: LoopTarget | null;
  /** Why there is no cluster. */
  clusterSkipped?: string;
  stop(): Promise<void>;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` (within a second). */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, timeout: 1000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function start(args: string[], env: Record<string, string>, children: ChildProcess[]): Promise<{ proc: ChildProcess; ready: ServerReady }> {
  const proc = spawnChild('../realtime/server-proc.ts', args, env);
  children.push(proc);
  return { proc, ready: await nextMessage<ServerReady>(proc, (m) => m.type === 'ready', TIMEOUT * 3) };
}

const target = (name: string, label: string, kind: LoopTarget['kind'], s: { proc: ChildProcess; ready: ServerReady }): LoopTarget => ({
  name, label, kind, senderPort: s.ready.port, receiverPort: s.ready.port, pairIds: s.ready.pairIds, procs: [s.proc],
});

/** Create the database and start every server with `pairs` pairs (`clusterPairs` on the cluster). */
export async function startServers(pgUrl: string, pairs: number, clusterPairs: number, log: (l: string) => void): Promise<E2EServers> {
  const name = `parley_e2e_${process.pid}`;
  const admin = serverSql(pgUrl, 1);
  await admin.exec(`drop database if exists ${name}`);
  await admin.exec(`create database ${name}`);
  const url = withDatabase(pgUrl, name);
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await admin.exec(`drop database if exists ${name} with (force)`).catch(() => admin.exec(`drop database if exists ${name}`)).catch(() => undefined);
    await admin.close();
  };
  try {
    const seed = serverSql(url, 1);
    await createSeed000(seed);
    await seed.close();
    const env = { PARLEY_PG_URL: url };
    const load: ServerOptions = { load: true };
    const t = Date.now();
    const [memory, postgres, homegrown] = await Promise.all([
      start(['parley', '0', String(pairs), 'memory', JSON.stringify(load)], env, children),
      start(['parley', '0', String(pairs), 'postgres', JSON.stringify(load)], env, children),
      start(['homegrown', '0', String(pairs), 'memory'], env, children),
    ]);
    log(`  e2e servers ready in ${Math.round((Date.now() - t) / 100) / 10}s`);
    let cluster: LoopTarget | null = null;
    let busNode: LoopTarget | null = null;
    let clusterSkipped: string | undefined;
    if (await listening(6379)) {
      const shared: ServerOptions = { load: true, schema: `parley_cl_${process.pid}`, redisPrefix: `parley-bench-${process.pid}:` };
      const node0 = await start(['parley', '0', String(clusterPairs), 'postgres', JSON.stringify({ ...shared, owner: true })], env, children);
      const node1 = await start(['parley', '0', '0', 'postgres', JSON.stringify({ ...shared, owner: false })], env, children);
      cluster = { ...target('cluster', '2 Parley nodes over Redis (Postgres store)', 'parley', node0), receiverPort: node1.ready.port, procs: [node0.proc, node1.proc] };
      const single = await start(['parley', '0', String(clusterPairs), 'postgres', JSON.stringify({ load: true, redisPrefix: `parley-bench-${process.pid}-one:` })], env, children);
      busNode = target('busNode', '1 Parley node over Redis (Postgres store)', 'parley', single);
    } else {
      clusterSkipped = 'no Redis on 127.0.0.1:6379';
    }
    return {
      memory: target('memory', 'Parley, in-memory store', 'parley', memory),
      postgres: target('postgres', 'Parley, Postgres store', 'parley', postgres),
      homegrown: target('homegrown', 'home-grown Socket.IO 4 + pg (seed 000)', 'homegrown', homegrown),
      cluster,
      busNode,
      ...(clusterSkipped ? { clusterSkipped } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

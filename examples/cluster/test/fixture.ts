import type { ParleyClient } from '@parley/client';
import { afterAll, beforeAll } from 'vitest';
import { startBalancer, type Balancer } from '../src/balancer.js';
import { startCluster, type Cluster } from '../src/cluster.js';
import { groupWithClients } from './scenario.js';
import { REDIS_URL, SECRET, isolation, openAdmin, type Admin } from './support.js';

/** What a test file gets from {@link useCluster}; fields are set once `beforeAll` ran. */
export interface ClusterFixture {
  cluster: Cluster;
  balancer: Balancer;
  admin: Admin;
  /** `ws://127.0.0.1:<balancer>/parley` */
  url: string;
  redisPrefix: string;
  /** Users, a group of them and one client each through the balancer (closed after the file). */
  group(tag: string, n: number): ReturnType<typeof groupWithClients>;
  /** The nodes' stderr lines. */
  logs: string[];
}

/**
 * Register `beforeAll`/`afterAll` that start `nodes` node processes (own Postgres schema and Redis
 * prefix), a balancer in front and the test's admin chat, and tear all of it down afterwards.
 */
export function useCluster(options: { nodes: number; redisUrl?: () => string; after?: () => Promise<void> }): ClusterFixture {
  const { schema, redisPrefix } = isolation();
  const clients: ParleyClient[] = [];
  const f = { redisPrefix, logs: [] as string[] } as unknown as ClusterFixture;
  f.group = (tag, n) => groupWithClients(f.admin, f.url, tag, n, clients);
  beforeAll(async () => {
    const redisUrl = options.redisUrl?.() ?? REDIS_URL;
    f.cluster = await startCluster({ nodes: options.nodes, schema, redisPrefix, redisUrl, secret: SECRET, presenceTtlMs: 3000, log: (l) => f.logs.push(l) });
    f.balancer = await startBalancer({ backends: () => f.cluster.nodes.map((n) => n.port) });
    f.url = `ws://127.0.0.1:${f.balancer.port}/parley`;
    f.admin = await openAdmin(schema, redisPrefix, redisUrl);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await f.balancer?.close();
    await f.cluster?.stop();
    await f.admin?.dispose();
    await options.after?.();
  }, 30_000);
  return f;
}

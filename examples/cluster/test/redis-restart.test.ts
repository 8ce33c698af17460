import type { ParleyClient } from '@parley/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBalancer, type Balancer } from '../src/balancer.js';
import { startCluster, type Cluster } from '../src/cluster.js';
import { hasRedisServer, privateRedis, sharedRedis, type RestartableRedis } from './redis-server.js';
import { groupWithClients, loadWithDisruption } from './scenario.js';
import { SECRET, isolation, openAdmin, servicesAvailable, type Admin } from './support.js';

// Restarting the shared Redis on 6379 disturbs everything else using it, so that variant runs only
// when asked for (PARLEY_TEST_REDIS_RESTART=1) and in CI. Otherwise the test restarts a private
// redis-server of its own on a free port, when the binary is installed.
const shared = process.env.PARLEY_TEST_REDIS_RESTART === '1' && process.env.CI === 'true';
const canRun = shared || hasRedisServer();
const available = canRun && (await servicesAvailable());
if (!canRun) console.warn('[skip] Redis restart test: no redis-server binary for a private instance (or set PARLEY_TEST_REDIS_RESTART=1 with CI=true to restart the shared one).');

describe.skipIf(!available)(`examples/cluster: Redis restarts under load (${shared ? 'shared service' : 'private redis-server'})`, () => {
  const { schema, redisPrefix } = isolation();
  const logs: string[] = [];
  let redis: RestartableRedis;
  let cluster: Cluster;
  let balancer: Balancer;
  let admin: Admin;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    redis = shared ? sharedRedis() : await privateRedis();
    cluster = await startCluster({ nodes: 2, schema, redisPrefix, redisUrl: redis.url, secret: SECRET, presenceTtlMs: 3000, log: (l) => logs.push(l) });
    balancer = await startBalancer({ backends: () => cluster.nodes.map((n) => n.port) });
    admin = await openAdmin(schema, redisPrefix, redis.url);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await balancer?.close();
    await cluster?.stop();
    await admin?.dispose();
    await redis?.dispose(); // the shared service is always left running
  }, 30_000);

  it('every client ends with exactly the server history; clients are told to resume', async () => {
    const url = `ws://127.0.0.1:${balancer.port}/parley`;
    const { users, group, cs } = await groupWithClients(admin, url, 'redis', 4, clients);
    let resumes = 0;
    for (const c of cs) c.on('resume', () => resumes++);
    let downFor = 0;
    const sent = await loadWithDisruption({
      admin,
      cs,
      users,
      group,
      durationMs: 4000,
      disruptAtMs: 1000,
      disrupt: async () => {
        const t = Date.now();
        await redis.restart(500);
        downFor = Date.now() - t;
      },
    });
    expect(resumes).toBeGreaterThanOrEqual(cs.length);
    console.log(`[cluster] Redis restart (${redis.describe}): down ${downFor} ms, ${sent} messages under load, ${resumes} resume pushes, all clients converged`);
  }, 60_000);
});

import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from './fixture.js';
import { hasRedisServer, privateRedis, sharedRedis, type RestartableRedis } from './redis-server.js';
import { loadWithDisruption } from './scenario.js';
import { servicesAvailable } from './support.js';

// Restarting the shared Redis on 6379 disturbs everything else using it, so that variant runs only
// when asked for (PARLEY_TEST_REDIS_RESTART=1) and in CI. Otherwise the test restarts a private
// redis-server of its own on a free port, when the binary is installed.
const shared = process.env.PARLEY_TEST_REDIS_RESTART === '1' && process.env.CI === 'true';
const canRun = shared || hasRedisServer();
const available = canRun && (await servicesAvailable());
if (!canRun) console.warn('[skip] Redis restart test: no redis-server binary for a private instance (or set PARLEY_TEST_REDIS_RESTART=1 with CI=true to restart the shared one).');

describe.skipIf(!available)(`examples/cluster: Redis restarts under load (${shared ? 'shared service' : 'private redis-server'})`, () => {
  let redis: RestartableRedis;
  beforeAll(async () => {
    redis = shared ? sharedRedis() : await privateRedis();
  });
  // the shared service is always left running; a private one is removed
  const f = useCluster({ nodes: 2, redisUrl: () => redis.url, after: () => redis?.dispose() ?? Promise.resolve() });

  it('every client ends with exactly the server history; clients are told to resume', async () => {
    const { users, group, cs } = await f.group('redis', 4);
    let resumes = 0;
    for (const c of cs) c.on('resume', () => resumes++);
    let downFor = 0;
    const sent = await loadWithDisruption({
      admin: f.admin,
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

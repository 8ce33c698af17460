import { runPubSubConformance } from '@parley/core/testing';
import { afterAll, describe, it } from 'vitest';
import { createRedisPubSub } from '../src/index.js';
import { presenceCases } from './presence-cases.js';
import { uniquePrefix } from './redis-env.js';
import { probeClusterTools, startCluster, type LocalCluster } from './redis-cluster.js';

const available = probeClusterTools('@parley/pubsub-redis cluster tests');
const cluster: LocalCluster | null = available ? await startCluster() : null;

if (cluster) {
  const shared = cluster.client();
  afterAll(async () => {
    shared.disconnect();
    await cluster.stop();
  });
  const prefix = uniquePrefix();
  runPubSubConformance({ name: 'redis cluster (sharded pub/sub)', create: () => createRedisPubSub({ redis: cluster.client(), prefix }) });
  presenceCases({ name: 'redis cluster', redis: () => shared, client: () => cluster.client(), cluster: true });
} else {
  describe('redis cluster', () => {
    it.skip('needs redis-server and redis-cli (see the printed reason)', () => {});
  });
}

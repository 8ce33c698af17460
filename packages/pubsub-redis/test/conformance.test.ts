import { runPubSubConformance } from '@parley/core/testing';
import { describe, it } from 'vitest';
import { createRedisPubSub } from '../src/index.js';
import { client, probeRedis, uniquePrefix } from './redis-env.js';

const available = await probeRedis('@parley/pubsub-redis conformance');

if (available) {
  // one prefix per run: each create() is a separate pair of connections, like another server process
  const prefix = uniquePrefix();
  runPubSubConformance({ name: 'redis (ioredis, local service)', create: () => createRedisPubSub({ redis: client(), prefix }) });
} else {
  describe('PubSub conformance: redis', () => {
    it.skip('needs a Redis server (see the printed reason)', () => {});
  });
}

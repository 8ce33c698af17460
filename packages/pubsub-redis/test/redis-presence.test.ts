import { afterAll, describe, it } from 'vitest';
import { presenceCases } from './presence-cases.js';
import { client, probeRedis } from './redis-env.js';

const available = await probeRedis('@parley/pubsub-redis presence tests');

if (available) {
  const shared = client();
  afterAll(() => shared.disconnect());
  presenceCases({ name: 'single Redis', redis: () => shared, client: () => client(), cluster: false });
} else {
  describe('createRedisPresence', () => {
    it.skip('needs a Redis server (see the printed reason)', () => {});
  });
}

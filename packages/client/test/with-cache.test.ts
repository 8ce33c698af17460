/**
 * The client's convergence, integration and paged-sync suites again, with an offline cache on
 * every device (restored at creation, saved after every change). Every invariant those suites
 * check must hold the same with the cache in the way.
 */
import { createOfflineCache, memoryCacheStorage, type OfflineStorage } from '../src/offline/index.js';
import { deviceDefaults } from './harness.js';

const storages = new Map<string, OfflineStorage>();
deviceDefaults.cacheFor = (key) => {
  let storage = storages.get(key);
  if (!storage) storages.set(key, (storage = memoryCacheStorage()));
  return createOfflineCache({ storage });
};

await import('./convergence.test.js');
await import('./integration.test.js');
await import('./paged-sync.test.js');

const { afterAll, expect } = await import('vitest');
afterAll(async () => {
  // the suites ran with caches that were written, not beside them
  const written = await Promise.all([...storages.values()].map(async (s) => (await s.keys('user:ana')).length + (await s.keys('user:ben')).length));
  expect(storages.size).toBeGreaterThan(3);
  expect(written.filter((n) => n > 0).length).toBeGreaterThan(3);
});

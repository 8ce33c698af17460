import { describe, expect, it } from 'vitest';
import type { PushDeviceStore } from '../push-device-store.js';
import type { ChatStore } from '../store.js';
import { createWorld, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const devicesOf = (store: ChatStore): PushDeviceStore => {
  if (!store.push) throw new Error('conformance kit: the store has no `push` (PushDeviceStore) part');
  return store.push;
};

/** Push devices: upsert by (user, device), a bounded list per user (oldest dropped), removal, reads ordered. */
export function pushDevicesSuite(o: ResolvedStoreOptions): void {
  describe('push devices', () => {
    const store = useStore(o);

    it('registers, replaces (keeping createdAt), lists in order, removes', async () => {
      const w = createWorld(store());
      const push = devicesOf(w.store);
      const [ana, ben] = [w.id('ana'), w.id('ben')];
      const base = { provider: 'webpush', level: 'all' as const, maxPerUser: 10 };
      await push.putDevice({ ...base, userId: ben, deviceId: 'phone', token: 't-ben', now: 10 });
      await push.putDevice({ ...base, userId: ana, deviceId: 'tablet', token: 't1', now: 11 });
      await push.putDevice({ ...base, userId: ana, deviceId: 'laptop', token: 't2', now: 12 });
      const replaced = await push.putDevice({ ...base, userId: ana, deviceId: 'tablet', token: 't3', level: 'mentions', now: 20 });
      expect(replaced).toEqual({ userId: ana, deviceId: 'tablet', provider: 'webpush', token: 't3', level: 'mentions', createdAt: 11, updatedAt: 20 });
      expect((await push.devicesOf([ben, ana, w.id('nobody')])).map((d) => [d.userId, d.deviceId, d.token])).toEqual(
        [[ana, 'laptop', 't2'], [ana, 'tablet', 't3'], [ben, 'phone', 't-ben']].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)),
      );
      expect(await push.removeDevice({ userId: ana, deviceId: 'laptop' })).toBe(true);
      expect(await push.removeDevice({ userId: ana, deviceId: 'laptop' })).toBe(false);
      expect((await push.devicesOf([ana])).map((d) => d.deviceId)).toEqual(['tablet']);
      expect(await push.devicesOf([])).toEqual([]);
    });

    it('keeps at most maxPerUser devices per user, dropping the ones updated longest ago', async () => {
      const w = createWorld(store());
      const push = devicesOf(w.store);
      const u = w.id('many');
      for (let i = 1; i <= 5; i++) await push.putDevice({ userId: u, deviceId: `d${i}`, provider: 'webpush', token: `t${i}`, level: 'all', now: i, maxPerUser: 3 });
      expect((await push.devicesOf([u])).map((d) => d.deviceId)).toEqual(['d3', 'd4', 'd5']);
      await push.putDevice({ userId: u, deviceId: 'd3', provider: 'webpush', token: 'again', level: 'all', now: 9, maxPerUser: 3 });
      await push.putDevice({ userId: u, deviceId: 'd6', provider: 'webpush', token: 't6', level: 'all', now: 10, maxPerUser: 3 });
      expect((await push.devicesOf([u])).map((d) => d.deviceId)).toEqual(['d3', 'd5', 'd6']);
    });
  });
}

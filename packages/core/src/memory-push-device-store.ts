import type { PushDevice, PushDeviceStore } from './push-device-store.js';

/** The in-memory {@link PushDeviceStore} of the memory store. */
export function createMemoryPushDeviceStore(): PushDeviceStore {
  const byUser = new Map<string, Map<string, PushDevice>>();
  return {
    async putDevice({ userId, deviceId, provider, token, level, now, maxPerUser }) {
      const devices = byUser.get(userId) ?? new Map<string, PushDevice>();
      byUser.set(userId, devices);
      const device: PushDevice = { userId, deviceId, provider, token, level, createdAt: devices.get(deviceId)?.createdAt ?? now, updatedAt: now };
      devices.set(deviceId, device);
      const oldest = [...devices.values()].sort((a, b) => b.updatedAt - a.updatedAt || (a.deviceId < b.deviceId ? 1 : -1)).slice(maxPerUser);
      for (const d of oldest) devices.delete(d.deviceId);
      return { ...device };
    },
    async removeDevice({ userId, deviceId }) {
      return byUser.get(userId)?.delete(deviceId) ?? false;
    },
    async devicesOf(userIds) {
      return [...new Set(userIds)]
        .sort()
        .flatMap((u) => [...(byUser.get(u)?.values() ?? [])].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1)))
        .map((d) => ({ ...d }));
    },
  };
}

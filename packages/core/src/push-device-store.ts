import type { PushDevice, PushLevel } from '@parley/protocol';

export type { PushDevice, PushLevel };

/**
 * Push devices (`ChatStore.push`): per-user state, not in any conversation log.
 */
export interface PushDeviceStore {
  /**
   * Create or replace the device (userId, deviceId); `createdAt` is kept on a replace. Afterwards
   * the user MUST have at most `maxPerUser` devices: the ones updated longest ago are removed, in
   * the same atomic step as far as the store allows (a concurrent registration may briefly leave one
   * more). Returns the device as stored.
   */
  putDevice(input: { userId: string; deviceId: string; provider: string; token: string; level: PushLevel; now: number; maxPerUser: number }): Promise<PushDevice>;

  /** Remove a device. Returns whether it existed. */
  removeDevice(input: { userId: string; deviceId: string }): Promise<boolean>;

  /** The devices of these users (at most 500 ids per call), ordered by userId, then deviceId. */
  devicesOf(userIds: readonly string[]): Promise<PushDevice[]>;
}

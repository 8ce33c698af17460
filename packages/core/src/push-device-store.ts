/** Which messages reach a device as push notifications. */
export type PushLevel = 'all' | 'mentions' | 'none';

/** A device a user registered for push notifications. */
export interface PushDevice {
  userId: string;
  /** Chosen by the client (one per app install or browser profile), 1–200 characters. */
  deviceId: string;
  /** Which `PushProvider` delivers to it: `webpush`, `fcm`, `apns`, or a host's own name. */
  provider: string;
  /** The provider's address of the device (for Web Push: the `PushSubscription` as JSON). At most 4,096 characters. */
  token: string;
  /** `all` messages, only `mentions` (a mention of the user or a reply to one of their messages), or `none`. */
  level: PushLevel;
  createdAt: number;
  updatedAt: number;
}

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

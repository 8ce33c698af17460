import { z } from 'zod';
import { safeString } from './primitives.js';

/** Which messages reach a device as push notifications: all, only mentions (and replies to the user), none. */
export const PushLevel = z.enum(['all', 'mentions', 'none']);
export type PushLevel = z.infer<typeof PushLevel>;

/** A device a user registered for push notifications (tokens are shown only to their owner). */
export interface PushDevice {
  userId: string;
  /** Chosen by the client, one per app install or browser profile. */
  deviceId: string;
  /** Which provider delivers to it (`webpush`, `fcm`, `apns`, or the host's own). */
  provider: string;
  /** The provider's address of the device (Web Push: the `PushSubscription` as JSON). */
  token: string;
  level: PushLevel;
  createdAt: number;
  updatedAt: number;
}

const deviceId = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'deviceId: 1-200 of A-Za-z0-9_.:-');

/** Parameters of the push-device operations (part of `OpParams`). */
export const PushOpParams = {
  /** Register (or replace) a device of the acting user for push notifications. */
  registerPushDevice: z
    .object({
      deviceId,
      provider: z.string().regex(/^[a-z0-9_-]{1,50}$/, 'provider: 1-50 of a-z0-9_-'),
      token: safeString(4096).min(1),
      level: PushLevel.optional(),
    })
    .strict(),
  /** Remove a device of the acting user (logout, notifications turned off). */
  removePushDevice: z.object({ deviceId }).strict(),
  /** The acting user's registered devices. */
  listPushDevices: z.object({}).strict(),
} as const;

/** Results of the push-device operations (part of `OpResults`). */
export interface PushOpResults {
  registerPushDevice: PushDevice;
  removePushDevice: { removed: boolean };
  listPushDevices: PushDevice[];
}

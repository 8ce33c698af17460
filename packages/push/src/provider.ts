import type { PushDevice } from '@parley/core';

/** What a device is told. Providers map it onto their own format. */
export interface PushNotification {
  /** The conversation's title, or the sender's name; a neutral text when the host hides content. */
  title: string;
  /** A preview of the newest message, or null when the host's privacy setting hides content. */
  body: string | null;
  conversationId: string;
  /** Seq of the newest message this notification stands for (the app opens the chat there). */
  seq: number;
  /** How many messages of the conversation this notification stands for (collapsed into one). */
  count: number;
  /** The user's unread total (non-muted conversations), for the app icon. */
  badge: number;
  /**
   * Notifications with the same key replace each other on the device (one per conversation):
   * Web Push `Topic`, FCM `collapse_key`, APNs `apns-collapse-id`.
   */
  collapseKey: string;
}

/** The outcome of one delivery. */
export interface PushResult {
  ok: boolean;
  /** The provider says the token will never work again (unsubscribed, expired): the device is removed. */
  invalidToken?: boolean;
  error?: string;
}

/**
 * Delivers notifications to devices of one kind. `send` MUST NOT throw for a failed delivery:
 * it resolves with `ok: false`, and with `invalidToken: true` exactly when the provider reports the
 * token as permanently invalid (Web Push 404/410, FCM `UNREGISTERED`, APNs 410 `Unregistered`).
 */
export interface PushProvider {
  /** Matches {@link PushDevice.provider} of the devices it serves, e.g. `webpush`. */
  readonly name: string;
  send(device: PushDevice, notification: PushNotification): Promise<PushResult>;
}

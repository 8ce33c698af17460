import { createHash } from 'node:crypto';
import type { PushDevice } from '@parley/core';
import type { PushNotification, PushProvider, PushResult } from './provider.js';

/** The part of the `web-push` package the provider calls (pass the module itself). */
export interface WebPushModule {
  sendNotification(
    subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
    payload: string,
    options: Record<string, unknown>,
  ): Promise<{ statusCode: number }>;
}

/** Options of {@link createWebPushProvider}. */
export interface WebPushProviderOptions {
  /** The `web-push` module (`import webpush from 'web-push'`), a peer dependency. */
  webpush: WebPushModule;
  /** VAPID identity: a `mailto:` or `https:` contact, and the key pair (`webpush.generateVAPIDKeys()`). */
  vapid: { subject: string; publicKey: string; privateKey: string };
  /** How long the push service keeps an undelivered notification. Default 1 day. */
  ttlSeconds?: number;
  /** Extra options for `sendNotification` (e.g. `agent`, `proxy`, `timeout`). */
  requestOptions?: Record<string, unknown>;
}

/** The Web Push `Topic` (at most 32 URL-safe base64 characters) of a collapse key. */
export const topicOf = (collapseKey: string): string => createHash('sha256').update(collapseKey).digest('base64url').slice(0, 32);

function subscriptionOf(token: string): { endpoint: string; keys: { p256dh: string; auth: string } } | null {
  try {
    const s = JSON.parse(token) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
    if (typeof s.endpoint !== 'string' || typeof s.keys?.p256dh !== 'string' || typeof s.keys.auth !== 'string') return null;
    return { endpoint: s.endpoint, keys: { p256dh: s.keys.p256dh, auth: s.keys.auth } };
  } catch {
    return null;
  }
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and payload encryption (RFC 8291, `aes128gcm`),
 * through the `web-push` package. A device's token is its browser `PushSubscription` as JSON
 * (`JSON.stringify(subscription)`). The payload is the {@link PushNotification} as JSON; the
 * service worker shows it. Notifications of a conversation share a `Topic`, so a device that was
 * offline gets the newest one only.
 */
export function createWebPushProvider(options: WebPushProviderOptions): PushProvider {
  const vapidDetails = options.vapid;
  return {
    name: 'webpush',
    async send(device: PushDevice, notification: PushNotification): Promise<PushResult> {
      const subscription = subscriptionOf(device.token);
      if (!subscription) return { ok: false, invalidToken: true, error: 'the token is not a PushSubscription' };
      try {
        await options.webpush.sendNotification(subscription, JSON.stringify(notification), {
          ...options.requestOptions,
          vapidDetails,
          TTL: options.ttlSeconds ?? 86_400,
          topic: topicOf(notification.collapseKey),
          urgency: 'high',
        });
        return { ok: true };
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        const message = error instanceof Error ? error.message : String(error);
        return status === 404 || status === 410 ? { ok: false, invalidToken: true, error: `push service answered ${status}` } : { ok: false, error: message };
      }
    },
  };
}

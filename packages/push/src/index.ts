/**
 * `@parley/push`: push notifications for members without a live connection, on Parley's change
 * feed, and the Web Push provider. See docs/push.md.
 * @module
 */
export { createPushNotifier, type PushNotifier, type PushNotifierOptions } from './notifier.js';
export type { PushNotification, PushProvider, PushResult } from './provider.js';
export { createWebPushProvider, topicOf, type WebPushModule, type WebPushProviderOptions } from './web-push-provider.js';

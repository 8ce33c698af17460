/**
 * Browser notifications on the page: registers the service worker (`/sw.js`) when the server has
 * push turned on, asks for the permission when the bell is clicked, subscribes with the server's
 * VAPID public key and registers the subscription with `registerPushDevice`. The service worker
 * then shows what the server pushes while this browser has no connection.
 */
import type { App } from './app.js';
import type { OpenMessage } from './sw.js';

/** The bell's state: hidden (no push on the server or in the browser), off, or on. */
export type PushState = 'unavailable' | 'off' | 'on';

const DEVICE_KEY = 'parley.demo.pushDevice';

/** This browser profile's device id (one per profile, kept in localStorage). */
function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

let vapidPublicKey: string | null = null;

const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

async function register(app: App, subscription: PushSubscription): Promise<void> {
  await app.client.api.registerPushDevice({ deviceId: deviceId(), provider: 'webpush', token: JSON.stringify(subscription), level: 'all' });
}

/**
 * At start: when the server has push on, register the service worker, show the bell, and
 * re-register an existing subscription for the signed-in user (its token may have changed).
 * A click on a notification (the service worker posts `parley.open`) or `#c=<id>` opens that
 * conversation.
 */
export function initPush(app: App): void {
  const fromHash = /^#c=(.+)$/.exec(location.hash)?.[1];
  if (fromHash) {
    history.replaceState(null, '', location.pathname);
    app.open(decodeURIComponent(fromHash));
  }
  if (!supported()) return;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<OpenMessage>) => {
    if (event.data?.type === 'parley.open' && typeof event.data.conversationId === 'string') app.open(event.data.conversationId, event.data.seq || undefined);
  });
  void (async () => {
    const config = (await (await fetch('/api/push/config')).json()) as { enabled: boolean; vapidPublicKey?: string };
    if (!config.enabled || !config.vapidPublicKey) return;
    vapidPublicKey = config.vapidPublicKey;
    const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    const subscription = Notification.permission === 'granted' ? await registration.pushManager.getSubscription() : null;
    if (subscription) await register(app, subscription);
    app.state.push = subscription ? 'on' : 'off';
    app.render();
  })().catch((error: unknown) => console.warn('[parley] push setup failed', error));
}

/** The bell: ask for the permission, subscribe, register this device. Throws with a message to show. */
export async function enablePush(app: App): Promise<void> {
  if (!vapidPublicKey) throw new Error('Notifications are not available on this server.');
  if ((await Notification.requestPermission()) !== 'granted') {
    throw new Error('Notifications are blocked for this site: allow them in the site settings of your browser.');
  }
  const registration = await navigator.serviceWorker.ready;
  let subscription: PushSubscription;
  try {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: vapidPublicKey });
  } catch (error) {
    // e.g. headless Chromium, or no route to the browser's push service
    throw new Error(`This browser could not subscribe to its push service: ${error instanceof Error ? error.message : String(error)}`);
  }
  await register(app, subscription);
  app.state.push = 'on';
  app.toast('Notifications are on: you get one when a message arrives while Parley is closed or offline.');
  app.render();
}

/** On sign-out: this browser stops getting the user's notifications. Best effort, at most 2 s. */
export async function disablePush(app: App): Promise<void> {
  if (app.state.push !== 'on') return;
  await Promise.race([app.client.api.removePushDevice({ deviceId: deviceId() }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
}

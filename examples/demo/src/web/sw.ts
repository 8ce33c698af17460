/**
 * The demo's service worker (served at `/sw.js`, scope `/`). It shows the notification the
 * server's push notifier sends to a user without a live connection (the `PushNotification` of
 * `@parley/push` as JSON), sets the app badge to the user's unread total, and on a click focuses an
 * open tab (which opens the conversation) or opens one at `/#c=<conversationId>`.
 */
import type { PushNotification } from '@parley/push';

/** The parts of the service worker scope used here (the DOM lib has no worker types). */
interface WorkerScope {
  registration: ServiceWorkerRegistration;
  location: Location;
  navigator: { setAppBadge?(count: number): Promise<void> };
  clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<Array<{ url: string; focus(): Promise<unknown>; postMessage(data: unknown): void }>>;
    openWindow(url: string): Promise<unknown>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'push', listener: (event: ExtendableEventLike & { data: { json(): unknown } | null }) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: ExtendableEventLike & { notification: Notification }) => void): void;
}
interface ExtendableEventLike {
  waitUntil(promise: Promise<unknown>): void;
}

/** What the page is sent when a notification of one of its conversations is clicked. */
export interface OpenMessage {
  type: 'parley.open';
  conversationId: string;
  seq: number;
}

const scope = globalThis as unknown as WorkerScope;

function parse(data: { json(): unknown } | null): PushNotification | null {
  try {
    const n = data?.json() as Partial<PushNotification> | undefined;
    if (n && typeof n.title === 'string' && typeof n.conversationId === 'string' && typeof n.seq === 'number') return n as PushNotification;
  } catch {
    // not JSON: fall through to the generic notification
  }
  return null;
}

async function show(n: PushNotification | null): Promise<void> {
  // Chromium requires every push to show a notification (userVisibleOnly).
  if (!n) {
    await scope.registration.showNotification('Parley', { body: 'You have new messages.', icon: '/favicon.svg' });
    return;
  }
  // privacy 'hidden': the title is neutral and there is no text
  const body = n.body ?? (n.count > 1 ? `${n.count} new messages` : 'Open Parley to read it.');
  await scope.registration.showNotification(n.title, {
    body,
    // one notification per conversation: a newer one replaces it
    tag: n.collapseKey,
    icon: '/favicon.svg',
    badge: '/favicon.svg',
    data: { conversationId: n.conversationId, seq: n.seq, count: n.count, badge: n.badge },
  });
  await scope.navigator.setAppBadge?.(n.badge).catch(() => undefined);
}

async function open(data: { conversationId?: unknown; seq?: unknown } | null): Promise<void> {
  const conversationId = typeof data?.conversationId === 'string' ? data.conversationId : null;
  const seq = typeof data?.seq === 'number' ? data.seq : 0;
  const tabs = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const tab = tabs.find((t) => new URL(t.url).origin === scope.location.origin);
  if (tab) {
    if (conversationId) tab.postMessage({ type: 'parley.open', conversationId, seq } satisfies OpenMessage);
    await tab.focus();
    return;
  }
  await scope.clients.openWindow(conversationId ? `/#c=${encodeURIComponent(conversationId)}` : '/');
}

scope.addEventListener('install', (event) => event.waitUntil(scope.skipWaiting()));
scope.addEventListener('activate', (event) => event.waitUntil(scope.clients.claim()));
scope.addEventListener('push', (event) => event.waitUntil(show(parse(event.data))));
scope.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(open(event.notification.data as { conversationId?: unknown; seq?: unknown } | null));
});

/**
 * Push notifications in a real browser: the page registers the service worker and subscribes;
 * while the tab has a live connection the notifier sends nothing; once the tab is offline it
 * pushes, and the service worker shows the notification.
 *
 * Headless Chromium has no push service (`PushManager.subscribe` fails with "Registration failed -
 * permission denied", and offline its real one, on the internet, is unreachable anyway). So the
 * test checks that failure, then lets the page subscribe with a subscription of the test's own
 * shape (the page still registers it over the wire with `registerPushDevice`), records what the
 * notifier hands the `webpush` provider, and delivers that payload to the page's service worker
 * with the DevTools protocol (`ServiceWorker.deliverPushMessage`), as the push service would.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PushNotification, PushProvider } from '@parley/push';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForName } from '../src/dev-auth.js';
import { startDemoServer, type DemoServer } from '../src/server.js';
import { openDemoStorage, type DemoStorage } from '../src/storage.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser test must run in CI (apt-get install -y chromium)`);
  console.warn(`[push.browser.test] skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}
const T = 10_000;
const poll = <V>(fn: () => Promise<V> | V) => expect.poll(fn, { timeout: T, interval: 50 });

/** What the notifier handed the provider, and whether the user was connected at that moment. */
interface Sent {
  userId: string;
  token: string;
  online: boolean;
  notification: PushNotification;
  /** The body the Web Push provider sends (encrypted) to the push service. */
  payload: string;
}

describe.skipIf(!available)('demo in Chromium: push to the service worker of a tab without a connection', () => {
  let dir: string;
  let storage: DemoStorage;
  let server: DemoServer;
  let browser: Browser;
  let context: BrowserContext;
  let ben: Page;
  const sent: Sent[] = [];
  const anaId = userIdForName('Ana Lima');
  const benId = userIdForName('Ben Ortiz');
  // the shape of a browser's PushSubscription; the test's own, as headless Chromium cannot make one
  const subscription = { endpoint: 'https://push.example.invalid/send/ben-1', expirationTime: null, keys: { p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', auth: 'tBHItJI5svbpez7KI4CCXg' } };

  const recorder: PushProvider = {
    name: 'webpush',
    async send(device, notification) {
      const online = (await storage.presence.online([device.userId])).has(device.userId);
      sent.push({ userId: device.userId, token: device.token, online, notification, payload: JSON.stringify(notification) });
      return { ok: true };
    },
  };
  const say = (text: string, conversationId: string) => storage.chat.as(anaId).send({ conversationId, clientId: `c-${text.length}-${Date.now()}`, text });
  const toast = () => ben.locator('.toast').last();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-demo-push-'));
    const [s, b] = await Promise.all([
      openDemoStorage(dir),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }),
    ]);
    storage = s;
    browser = b;
    server = await startDemoServer({ chat: storage.chat, dataDir: dir, port: 0, log: () => {}, push: { presence: storage.presence, provider: recorder } });
    await storage.chat.upsertUser({ id: anaId, displayName: 'Ana Lima' });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['notifications'], { origin: server.url });
    ben = await context.newPage();
    ben.setDefaultTimeout(T);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await storage?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers the service worker; the bell asks for the permission, subscribes and registers the device', async () => {
    await ben.goto(server.url);
    await ben.getByLabel('Display name').fill('Ben Ortiz');
    await ben.getByRole('button', { name: 'Continue' }).click();
    const bell = ben.locator('[data-test=enable-push]');
    await bell.waitFor();
    const worker = await ben.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      return { scope: r.scope, script: r.active?.scriptURL };
    });
    expect(worker).toEqual({ scope: `${server.url}/`, script: `${server.url}/sw.js` });

    // The real subscribe: headless Chromium has no push service, and the page says so.
    await bell.click();
    await poll(() => toast().textContent()).toContain('could not subscribe to its push service');
    expect(await ben.evaluate(() => Notification.permission)).toBe('granted');
    expect(await server.push!.notifier.devices(benId)).toEqual([]);

    await ben.evaluate((shape) => {
      PushManager.prototype.subscribe = async () => ({ toJSON: () => shape }) as unknown as PushSubscription;
    }, subscription);
    await bell.click();
    await poll(async () => (await server.push!.notifier.devices(benId)).map((d) => [d.provider, d.token, d.level])).toEqual([['webpush', JSON.stringify(subscription), 'all']]);
    await poll(() => bell.getAttribute('class')).toContain('on');
  });

  let dmId = '';

  it('a user with a live connection gets no push', async () => {
    dmId = (await storage.chat.as(anaId).openDirect({ userId: benId })).id;
    expect((await storage.presence.online([benId])).has(benId)).toBe(true);
    await say('Are you around?', dmId);
    await ben.locator('.conv-row[data-title="Ana Lima"]').waitFor();
    await server.push!.notifier.runOnce();
    expect(sent).toEqual([]);
  });

  it('the tab goes offline: the notifier pushes and the service worker shows the notification', async () => {
    await context.setOffline(true);
    // the page's client drops its socket when the browser goes offline; the server sees it go
    await poll(async () => (await storage.presence.online([benId])).size).toBe(0);
    const m = await say('Dinner at 8? 🍝', dmId);
    await server.push!.notifier.runOnce();
    const unread = (await storage.chat.store.unreadTotal({ userId: benId, now: Date.now() })).total;
    expect(unread).toBeGreaterThanOrEqual(2);
    expect(sent).toEqual([
      {
        userId: benId,
        token: JSON.stringify(subscription),
        online: false,
        notification: { title: 'Ana Lima', body: 'Dinner at 8? 🍝', conversationId: dmId, seq: m.seq, count: 1, badge: unread, collapseKey: dmId },
        payload: expect.any(String),
      },
    ]);

    // Deliver it as the browser's push service would.
    const cdp = await context.newCDPSession(ben);
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      for (const r of e.registrations) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    await poll(() => registrations.has(`${server.url}/`)).toBe(true);
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.url, registrationId: registrations.get(`${server.url}/`)!, data: sent[0]!.payload });

    const shown = () =>
      ben.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, badge: n.badge, data: n.data as unknown })),
      );
    await poll(shown).toEqual([
      { title: 'Ana Lima', body: 'Dinner at 8? 🍝', tag: dmId, badge: `${server.url}/favicon.svg`, data: { conversationId: dmId, seq: m.seq, count: 1, badge: unread } },
    ]);
  });

  it('a click on the notification focuses the tab, which opens the conversation', async () => {
    await context.setOffline(false);
    expect(await ben.locator('.conv-head-title').count()).toBe(0);
    const [worker] = context.serviceWorkers();
    expect(worker?.url()).toBe(`${server.url}/sw.js`);
    // DevTools cannot click a notification: dispatch the event the browser would, in the worker.
    // (A synthetic event cannot extend its lifetime or focus a window; the handler still runs.)
    await worker!.evaluate(async () => {
      const scope = globalThis as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(e: Event): boolean };
      const [notification] = await scope.registration.getNotifications();
      const NotificationEventCtor = (globalThis as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event }).NotificationEvent;
      scope.dispatchEvent(new NotificationEventCtor('notificationclick', { notification: notification! }));
    });
    await poll(() => ben.locator('.conv-head-title').textContent()).toBe('Ana Lima');
    await poll(() => ben.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length)).toBe(0);
  });

  it("signing out removes this browser from the user's devices", async () => {
    await poll(async () => (await storage.presence.online([benId])).has(benId)).toBe(true);
    await ben.getByRole('button', { name: 'Sign out' }).click();
    await ben.getByLabel('Display name').waitFor();
    expect(await server.push!.notifier.devices(benId)).toEqual([]);
  });
});

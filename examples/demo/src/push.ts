/**
 * Push notifications in the demo: the `@parley/push` notifier on the change feed, sending Web
 * Push with VAPID keys generated once and kept in the data directory.
 *
 * Offline (no route to the browser's push service) every delivery fails: the failure is logged
 * and changes nothing else (push is best effort, and the message is in the conversation anyway).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Chat, PresenceRegistry } from '@parley/core';
import { createPushNotifier, createWebPushProvider, type PushNotifier, type PushProvider } from '@parley/push';
import webpush from 'web-push';

/** The `push` option of `startDemoServer`. */
export interface DemoPushOptions {
  /** The presence registry given to `createChat` (see `openDemoStorage`): connected users get no push. */
  presence: PresenceRegistry;
  /** `hidden`: no conversation title or message text in the push. Default `full`. */
  privacy?: 'full' | 'hidden';
  /**
   * Who delivers the `webpush` devices' notifications. Default: Web Push (`web-push`) with the
   * demo's VAPID keys. Tests give one that records what it is handed.
   */
  provider?: PushProvider;
  /** How often the notifier looks for new messages when idle. Default 500 ms. */
  pollMs?: number;
}

/** The demo's VAPID identity: browsers bind a subscription to the public key. */
export interface VapidKeys {
  subject: string;
  publicKey: string;
  privateKey: string;
}

/** The running notifier and the public key the page subscribes with. */
export interface DemoPush {
  notifier: PushNotifier;
  vapidPublicKey: string;
  stop(): Promise<void>;
}

const SUBJECT = 'mailto:demo@parley.invalid';

/** Read `file`, or generate a VAPID key pair there (mode 600) on the first start. */
export async function loadOrCreateVapidKeys(file: string): Promise<VapidKeys> {
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<VapidKeys>;
    if (typeof saved.publicKey === 'string' && typeof saved.privateKey === 'string') {
      return { subject: typeof saved.subject === 'string' ? saved.subject : SUBJECT, publicKey: saved.publicKey, privateKey: saved.privateKey };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  const keys = { subject: SUBJECT, ...webpush.generateVAPIDKeys() };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

/** Start the notifier (one process: no lease). Failed deliveries go to `log`. */
export async function startDemoPush(options: DemoPushOptions & { chat: Chat; vapidFile: string; log: (message: string) => void }): Promise<DemoPush> {
  const vapid = await loadOrCreateVapidKeys(options.vapidFile);
  // a push service that does not answer (no internet) must not hold the feed for long
  const provider = options.provider ?? createWebPushProvider({ webpush, vapid, requestOptions: { timeout: 10_000 } });
  const notifier = createPushNotifier({
    chat: options.chat,
    presence: options.presence,
    providers: [provider],
    privacy: options.privacy ?? 'full',
    feed: { lease: false, ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) },
    onError: (error) => options.log(`[push] ${error instanceof Error ? error.message : String(error)}`),
  });
  notifier.start();
  return { notifier, vapidPublicKey: vapid.publicKey, stop: () => notifier.stop() };
}

import { ChatError, createFeed, type Chat, type Feed, type PresenceRegistry, type PushDevice, type PushDeviceStore, type PushLevel } from '@parley/core';
import { PushOpParams, type ConversationEvent, type Message } from '@parley/protocol';
import type { PushNotification, PushProvider } from './provider.js';

/** Options of {@link createPushNotifier}. */
export interface PushNotifierOptions {
  /** The engine (its store must have `push`, and `feed`). */
  chat: Pick<Chat, 'store' | 'clock' | 'on'>;
  /** The presence registry given to `createChat` (members with a live connection get no push). */
  presence: PresenceRegistry;
  /** One provider per kind of device (`webpush`, `fcm`, …). */
  providers: readonly PushProvider[];
  /** `full`: title and a preview of the text; `hidden`: neither (only ids and counts leave the server). Default `full`. */
  privacy?: 'full' | 'hidden';
  /** Messages older than this when read are not pushed (a backlog after an outage, a new consumer's history). Default 1 h. */
  maxAgeMs?: number;
  /** Devices kept per user by `registerDevice` (the least recently registered go first). Default 10, like `limits.maxPushDevicesPerUser` of the wire op. */
  maxDevicesPerUser?: number;
  /** Feed consumer name. Default `push`. */
  name?: string;
  /** Passed to the feed consumer (poll period, lease). */
  feed?: { pollMs?: number; lease?: { ttlMs?: number; holder?: string } | false };
  /** Failed deliveries and store errors (push is best effort: a failed delivery is not retried). */
  onError?(error: unknown): void;
}

/** Push notifications for offline members, and the device registrations they go to. */
export interface PushNotifier {
  start(): void;
  stop(): Promise<void>;
  /** Process everything pending now (tests, scripts). */
  runOnce(): Promise<void>;
  /**
   * Register (or replace) a device of a user from server code (clients use the `registerPushDevice`
   * operation). `INVALID` for an unknown provider or a bad id/token/level, `NOT_FOUND` for no such user.
   */
  registerDevice(input: { userId: string; deviceId: string; provider: string; token: string; level?: PushLevel }): Promise<PushDevice>;
  /** Remove a device of a user (logout, notifications turned off). Returns whether it existed. */
  removeDevice(input: { userId: string; deviceId: string }): Promise<boolean>;
  /** The user's devices. */
  devices(userId: string): Promise<PushDevice[]>;
}

const PAGE = 500;

function preview(m: Message): string {
  const text = m.text ?? '';
  if (text.length > 0) return text.length > 140 ? `${text.slice(0, 139)}…` : text;
  return m.attachments.length > 0 ? '📎 Attachment' : 'New message';
}

/**
 * Push notifications on the change feed (consumer `push`). For every batch of new messages of a
 * conversation, each active member other than the sender who has not muted the conversation and has
 * no live connection (presence) gets at most one notification per device: the newest message its
 * level accepts (`all`; `mentions`: messages mentioning the user or replying to one of theirs),
 * with the count of messages it stands for and the user's unread total as badge, collapsed per
 * conversation. A token the provider reports as invalid is removed.
 *
 * ```ts
 * import webpush from 'web-push';
 * import { createChat, createMemoryPresence } from '@parley/core';
 * import { createPushNotifier, createWebPushProvider } from '@parley/push';
 *
 * const presence = createMemoryPresence();
 * const chat = createChat({ store, presence });
 * const push = createPushNotifier({
 *   chat,
 *   presence,
 *   providers: [createWebPushProvider({ webpush, vapid: { subject: 'mailto:ops@example.com', publicKey: 'BK…', privateKey: 'x…' } })],
 *   privacy: 'hidden',
 * });
 * push.start();
 * ```
 */
export function createPushNotifier(options: PushNotifierOptions): PushNotifier {
  const devices: PushDeviceStore | undefined = options.chat.store.push;
  if (!devices) throw new ChatError('INVALID', 'this store has no push devices (ChatStore.push is missing)');
  const store = options.chat.store;
  const clock = options.chat.clock;
  const providers = new Map(options.providers.map((p) => [p.name, p]));
  const privacy = options.privacy ?? 'full';
  const maxAgeMs = options.maxAgeMs ?? 3_600_000;
  const maxPerUser = options.maxDevicesPerUser ?? 10;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // a failing reporter changes nothing
    }
  };

  /** Does a device of `userId` at `level` want a push for `m`? */
  const wants = async (level: PushLevel, userId: string, m: Message, repliedTo: Map<number, string | null>) => {
    if (level === 'all') return true;
    if (level === 'none') return false;
    if (m.mentions.includes(userId)) return true;
    if (m.replyTo === null) return false;
    if (!repliedTo.has(m.replyTo)) repliedTo.set(m.replyTo, (await store.getMessage(m.conversationId, m.replyTo))?.senderId ?? null);
    return repliedTo.get(m.replyTo) === userId;
  };

  const notify = async (conversationId: string, events: ConversationEvent[]) => {
    const now = clock.now();
    const messages = events.flatMap((e) => (e.type === 'message' && e.message.deletedAt === null && now - e.at <= maxAgeMs ? [e.message] : []));
    if (messages.length === 0) return;
    const conversation = await store.getConversation(conversationId);
    if (!conversation) return;
    const senders = new Map((await store.getUsers([...new Set(messages.map((m) => m.senderId))])).map((u) => [u.id, u.displayName]));
    const repliedTo = new Map<number, string | null>();
    for (let afterUserId: string | undefined; ; ) {
      const page = await store.listMembers({ conversationId, limit: PAGE, ...(afterUserId === undefined ? {} : { afterUserId }) });
      const candidates = page.filter((m) => m.mutedUntil === null || m.mutedUntil <= now).map((m) => m.userId);
      const online = candidates.length > 0 ? await options.presence.online(candidates) : new Set<string>();
      const offline = new Set(candidates.filter((u) => !online.has(u)));
      const targets = offline.size > 0 ? await devices.devicesOf([...offline]) : [];
      const badges = new Map<string, number>();
      for (const device of targets) {
        const provider = providers.get(device.provider);
        if (!provider) continue;
        const accepted: Message[] = [];
        for (const m of messages) if (m.senderId !== device.userId && (await wants(device.level, device.userId, m, repliedTo))) accepted.push(m);
        const newest = accepted[accepted.length - 1];
        if (!newest) continue;
        if (!badges.has(device.userId)) badges.set(device.userId, (await store.unreadTotal({ userId: device.userId, now })).total);
        const sender = senders.get(newest.senderId) ?? 'Someone';
        const notification: PushNotification = {
          title: privacy === 'hidden' ? 'New message' : (conversation.title ?? sender),
          body: privacy === 'hidden' ? null : conversation.title ? `${sender}: ${preview(newest)}` : preview(newest),
          conversationId,
          seq: newest.seq,
          count: accepted.length,
          badge: badges.get(device.userId)!,
          collapseKey: conversationId,
        };
        const result = await provider.send(device, notification);
        if (result.invalidToken) await devices.removeDevice({ userId: device.userId, deviceId: device.deviceId });
        else if (!result.ok) report(new ChatError('UNAVAILABLE', `push to ${device.provider} failed: ${result.error ?? 'unknown'}`));
      }
      if (page.length < PAGE) break;
      afterUserId = page[page.length - 1]!.userId;
    }
  };

  const feed: Feed = createFeed({
    chat: options.chat,
    name: options.name ?? 'push',
    types: ['message'],
    ...options.feed,
    ...(options.onError ? { onError: report } : {}),
    handle: ({ conversationId, events }) => notify(conversationId, events),
  });

  return {
    start: () => feed.start(),
    stop: () => feed.stop(),
    runOnce: async () => void (await feed.runOnce()),
    async registerDevice({ userId, ...params }) {
      const parsed = PushOpParams.registerPushDevice.safeParse(params);
      if (!parsed.success) throw new ChatError('INVALID', `bad push device: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      const { deviceId, provider, token, level = 'all' } = parsed.data;
      if (!providers.has(provider)) throw new ChatError('INVALID', `unknown push provider ${JSON.stringify(provider)}`);
      if ((await store.getUsers([userId])).length === 0) throw new ChatError('NOT_FOUND', 'no such user');
      return devices.putDevice({ userId, deviceId, provider, token, level, now: clock.now(), maxPerUser });
    },
    removeDevice: (input) => devices.removeDevice(input),
    devices: (userId) => devices.devicesOf([userId]),
  };
}

import { createChat, createMemoryStore, type Chat, type ChatOptions } from '@parley/core';
import { captureLogger, ServerHost, type CapturedLog, type HostOptions } from './server.js';
import { WireSocket } from './wire.js';

/**
 * Everything a user could learn about the state, read through the engine: profile, contacts,
 * inbox (with unread and watermarks), and per conversation the full log, receipts, members and
 * hidden seqs (lastSeenAt left out). Two equal snapshots mean nothing visible changed.
 */
export async function snapshot(chat: Chat, users: readonly string[]): Promise<string> {
  const out: unknown[] = [];
  for (const u of users) {
    const s = chat.as(u);
    const inbox = await s.inbox({ limit: 200 });
    const conversations = [];
    for (const e of inbox.items) {
      const conversationId = e.conversation.id;
      const history = await s.history({ conversationId, after: 0, limit: 200, all: true });
      const active = e.member.leftSeq === null;
      conversations.push({
        e,
        history,
        receipts: active ? await s.receipts({ conversationId }) : null,
        members: active ? await s.listMembers({ conversationId, limit: 200 }) : null,
        hidden: await s.hidden({ conversationId }),
      });
    }
    out.push({ u, me: await s.me({}).catch(() => null), contacts: await s.listContacts({}), conversations, calls: await s.callHistory({}) });
  }
  // lastSeenAt moves whenever a user's last socket closes: presence, not state an operation changes
  return JSON.stringify(out, (key, value: unknown) => (key === 'lastSeenAt' ? undefined : value));
}

/** A memory-store engine with users, behind a {@link ServerHost}. */
export interface World {
  chat: Chat;
  host: ServerHost;
  log: CapturedLog;
  users: string[];
  /** Open an authenticated raw socket as `userId` and wait for ready. */
  socket(userId: string, headers?: Record<string, string>): Promise<WireSocket>;
  close(): Promise<void>;
}

/** Start an engine (memory store unless given) with `users`, and a WebSocket server for it. */
export async function startWorld(
  users: string[],
  options: Partial<Omit<HostOptions, 'chat'>> & { chat?: Partial<ChatOptions> } = {},
): Promise<World> {
  const chat = createChat({ store: createMemoryStore(), ...options.chat });
  for (const id of users) await chat.upsertUser({ id, displayName: `Name of ${id}` });
  const log = captureLogger();
  const host = new ServerHost({ ...options, chat, logger: options.logger ?? log.logger });
  await host.start();
  const sockets: WireSocket[] = [];
  return {
    chat,
    host,
    log,
    users,
    async socket(userId, headers = {}) {
      const s = new WireSocket(host.url, { token: host.token(userId), headers });
      sockets.push(s);
      await s.ready();
      return s;
    },
    async close() {
      for (const s of sockets) s.terminate();
      await host.stop();
      await chat.close();
    },
  };
}

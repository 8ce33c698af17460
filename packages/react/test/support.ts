import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { createClient, type ClientOptions, type ParleyClient } from '@parley/client';
import { WebSocket } from 'ws';
import { ServerHost } from '../../../tests/support/server.js';

/** A real Parley server (core on the memory store, transport-ws on an ephemeral port) with users. */
export interface TestWorld {
  chat: Chat;
  host: ServerHost;
  /** A client of `userId` over the real `ws` WebSocket, not tied to any window. */
  client(userId: string, extra?: Partial<ClientOptions>): ParleyClient;
  /** Close every client made here, then the server and the engine. */
  close(): Promise<void>;
}

export async function startWorld(users: readonly string[]): Promise<TestWorld> {
  const chat = createChat({ store: createMemoryStore() });
  for (const id of users) await chat.upsertUser({ id, displayName: id[0]!.toUpperCase() + id.slice(1) });
  const host = new ServerHost({ chat });
  await host.start();
  const clients: ParleyClient[] = [];
  return {
    chat,
    host,
    client(userId, extra = {}) {
      const c = createClient({ url: host.url, token: host.token(userId), WebSocket, window: null, reconnect: { baseMs: 50, capMs: 400 }, ...extra });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await host.stop();
      await chat.close();
    },
  };
}

/** Counts renders per name: call `hit(name)` in a component body. */
export function renderCounter() {
  const counts = new Map<string, number>();
  return {
    hit: (name: string) => void counts.set(name, (counts.get(name) ?? 0) + 1),
    of: (name: string) => counts.get(name) ?? 0,
  };
}

// Type-checked by scripts/check-packages.mjs in a project outside the workspace that installed the
// packed tarballs, once as ESM (NodeNext and Bundler resolution) and once as CommonJS (`usage.cts`,
// a copy of this file: its imports compile to `require`). It uses at least one thing from every
// package, the way an application would, so a type that resolves differently under one resolution
// (an `extends` of an unresolvable default import, say) fails here.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { WebSocket } from 'ws';
import { createClient, isParleyError, type ParleyClient } from '@parley/client';
import { createOfflineCache, memoryCacheStorage } from '@parley/client/offline';
import { createChat, createMemoryStore, isChatError, type Chat, type ChatStore } from '@parley/core';
import { runStoreConformance } from '@parley/core/testing';
import type { ConversationEvent, Message } from '@parley/protocol';
import { ERROR_CODES } from '@parley/protocol/lite';
import { createRedisPubSub } from '@parley/pubsub-redis';
import { ParleyProvider, useInbox, useMessages, type MessagesState } from '@parley/react';
import { createMongoStore } from '@parley/storage-mongo';
import { createPostgresDb, createPostgresStore } from '@parley/storage-postgres';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import { createWebhooks, verifyWebhook, type WebhookPayload } from '@parley/webhooks';
import { createPushNotifier, type PushProvider } from '@parley/push';
import { createMemoryPresence } from '@parley/core';

export function engine(): Chat {
  const chat = createChat({ store: createMemoryStore() });
  chat.on('event', (event: ConversationEvent) => void event.seq);
  return chat;
}

export function client(url: string): ParleyClient {
  // ws's class is accepted as it is: no cast.
  const c = createClient({ url, token: 't', WebSocket, window: null });
  c.on('event', (event) => {
    if (event.type === 'message') void (event.message satisfies Message).text;
  });
  c.on('state', () => undefined);
  c.off('state');
  return c;
}

export function offlineClient(url: string): ParleyClient {
  // the subpath's cache is accepted by the main entry's client under every resolution
  return createClient({ url, token: 't', WebSocket, window: null, userId: 'u', cache: createOfflineCache({ storage: memoryCacheStorage() }) });
}

export function stores(): ChatStore[] {
  const { db } = createPostgresDb({ pg, url: 'postgres://127.0.0.1/none' });
  const mongo = new MongoClient('mongodb://127.0.0.1:1').db('chat');
  return [createPostgresStore({ db }), createMongoStore({ db: mongo })];
}

export function server(chat: Chat): Promise<WsServer> {
  const pubsub = createRedisPubSub({ redis: new Redis({ lazyConnect: true }) });
  void pubsub;
  return createWsServer({ chat, server: createServer(), origins: [], authenticate: () => null });
}

export const conformance: typeof runStoreConformance = runStoreConformance;
export const errors = (e: unknown): boolean => isChatError(e, 'FORBIDDEN') || isParleyError(e, 'FORBIDDEN') || ERROR_CODES.includes('FORBIDDEN');

// React bindings: the hooks' types come through @parley/client's declarations.
export function useConversation(conversationId: string): MessagesState & { unread: number } {
  const unread: number = useInbox((inbox) => inbox.byId[conversationId]?.unread ?? 0);
  return { ...useMessages(conversationId), unread };
}
export const provider: typeof ParleyProvider = ParleyProvider;
export function webhooks(chat: Chat): Promise<void> {
  const w = createWebhooks({ chat, endpoints: [{ id: 'crm', url: 'http://127.0.0.1:1/hook', secret: 'whsec-0123456789' }] });
  void verifyWebhook<WebhookPayload>({ body: '{}', header: 't=1,v1=00', secret: 'whsec-0123456789', now: 0 }).seq;
  return w.stop();
}

export function push(chat: Chat): Promise<void> {
  const provider: PushProvider = { name: 'log', send: async () => ({ ok: true }) };
  return createPushNotifier({ chat, presence: createMemoryPresence(), providers: [provider] }).stop();
}

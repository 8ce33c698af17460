import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import { createClient, type WebSocketConstructor } from '../src/index.js';

// A server that authenticates from the upgrade request (a session cookie) sends `ready` at once;
// the client's own `auth` frame then gets CONFLICT. The client must take `ready` as success.
describe('client with a server that authenticates from the upgrade request (cookies)', () => {
  let chat: Chat;
  let server: WsServer;

  beforeAll(async () => {
    chat = createChat({ store: createMemoryStore() });
    await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    server = await createWsServer({
      chat,
      port: 0,
      origins: '*',
      authenticate: ({ request, token }) => (token === undefined && request.headers.cookie === 'session=ana-session' ? 'ana' : null),
    });
  });
  afterAll(async () => {
    await server.close();
    await chat.close();
  });

  it('becomes ready as the cookie user and serves requests', async () => {
    // a browser sends its cookies by itself; in Node the WebSocket class adds the header
    class CookieWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { cookie: 'session=ana-session' } });
      }
    }
    const client = createClient({
      url: `ws://127.0.0.1:${server.address()!.port}/parley`,
      token: 'ignored-by-this-server',
      WebSocket: CookieWebSocket as unknown as WebSocketConstructor,
      window: null,
    });
    try {
      await client.ready();
      expect(client.connection.getSnapshot()).toMatchObject({ state: 'ready', userId: 'ana' });
      expect((await client.api.me()).id).toBe('ana');
    } finally {
      client.close();
    }
  });
});

// Run by scripts/check-packages.mjs in the consumer project: the engine, the WebSocket server and
// the client, all from the installed tarballs, exchange one message over a real socket.
import { WebSocket } from 'ws';
import { createClient } from '@parley/client';
import { createChat, createMemoryStore } from '@parley/core';
import { createWsServer } from '@parley/transport-ws';

const chat = createChat({ store: createMemoryStore() });
await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
const server = await createWsServer({ chat, port: 0, origins: [], authenticate: ({ token }) => (token === 'ben-token' ? 'ben' : null) });
const client = createClient({ url: `ws://127.0.0.1:${server.address().port}/parley`, token: 'ben-token', WebSocket, window: null });
await client.ready();
const received = new Promise((resolve) => client.on('event', (event) => event.type === 'message' && resolve(event.message.text)));
const dm = await chat.as('ana').openDirect({ userId: 'ben' });
await chat.as('ana').send({ conversationId: dm.id, clientId: 'smoke-1', text: 'hello from the tarballs' });
const text = await received;
if (text !== 'hello from the tarballs') throw new Error(`received ${JSON.stringify(text)}`);
client.close();
await server.close();
await chat.close();
console.log('consumer smoke: a client received a message from a server, all from the tarballs');

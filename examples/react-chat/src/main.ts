/**
 * The React chat example: `npm start -w @parley/example-react-chat`, then open http://127.0.0.1:3001
 * in two browsers (or a normal and a private window) and sign in as two people.
 *
 * The engine runs on the in-memory store: everything is gone when the process stops. For a
 * persistent one see examples/demo (embedded Postgres). Options: `PORT`, `HOST`.
 */
import { createChat, createMemoryStore } from '@parley/core';
import { startReactChat } from './server.js';

const chat = createChat({ store: createMemoryStore() });
const app = await startReactChat({ chat, port: Number(process.env.PORT ?? 3001), host: process.env.HOST ?? '127.0.0.1' });
console.log(`Parley React chat: ${app.url}  (DEVELOPMENT-ONLY sign-in: anyone can be anyone; in-memory data)`);
const stop = async () => {
  await app.close();
  await chat.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

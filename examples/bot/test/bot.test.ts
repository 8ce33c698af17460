import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import { createClient, type ParleyClient } from '@parley/client';
import { defaultResponder, startBot, type Bot } from '../src/bot.js';

const WS = WebSocket;
const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('examples/bot: a Node client that answers messages', () => {
  let chat: Chat;
  let server: WsServer;
  let url: string;
  let bot: Bot;
  let human: ParleyClient;

  beforeAll(async () => {
    chat = createChat({ store: createMemoryStore() });
    await chat.upsertUser({ id: 'bot', displayName: 'Echo bot' });
    await chat.upsertUser({ id: 'dana', displayName: 'Dana' });
    server = await createWsServer({ chat, port: 0, origins: [], authenticate: ({ token }) => (token === 'bot-token' ? 'bot' : token === 'dana-token' ? 'dana' : null) });
    url = `ws://127.0.0.1:${server.address()!.port}/parley`;
    bot = startBot({ url, token: 'bot-token', WebSocket: WS, respond: defaultResponder });
    human = createClient({ url, token: 'dana-token', WebSocket: WS, window: null });
    await until(() => bot.client.connection.getSnapshot().state === 'ready' && human.connection.getSnapshot().state === 'ready');
  });
  afterAll(async () => {
    bot?.stop();
    human?.close();
    await server?.close();
    await chat?.close();
  });

  it('answers a direct message once, as a reply, and marks it read', async () => {
    const dm = await human.api.openDirect({ userId: 'bot' });
    const asked = await human.send({ conversationId: dm.id, text: 'hello bot' }).message;
    await until(() => bot.answered === 1);
    const { events } = await chat.as('dana').history({ conversationId: dm.id });
    const messages = events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
    expect(messages.map((m) => [m.senderId, m.text, m.replyTo])).toEqual([
      ['dana', 'hello bot', null],
      ['bot', 'You said: hello bot', asked.seq],
    ]);
    const receipts = await chat.as('dana').receipts({ conversationId: dm.id });
    expect(receipts.find((r) => r.userId === 'bot')?.readSeq).toBeGreaterThanOrEqual(asked.seq);
  });

  it('after a restart answers what arrived while it was offline, and nothing it answered before', async () => {
    const dm = await human.api.openDirect({ userId: 'bot' });
    bot.stop();
    await human.send({ conversationId: dm.id, text: '/help' }).message;
    bot = startBot({ url, token: 'bot-token', WebSocket: WS, respond: defaultResponder });
    await until(() => bot.answered === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.answered).toBe(1);
    const { events } = await chat.as('dana').history({ conversationId: dm.id });
    const texts = events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
    expect(texts).toEqual(['hello bot', 'You said: hello bot', '/help', 'I answer /time, /help, and echo anything else.']);
  });
});

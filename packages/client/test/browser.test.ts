import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { browserPage, browserTestsRun } from './browser-page.js';
import { TestServer, device, heldMessages, until } from './harness.js';

describe.skipIf(!browserTestsRun)('in Chromium (playwright-core)', () => {
  let server: TestServer;
  let pageUrl = '';
  let browser: import('playwright-core').Browser | undefined;
  let closePage: (() => Promise<void>) | undefined;
  let ben: ParleyClient;

  beforeAll(async () => {
    const page = await browserPage({ contents: `export * from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};`, resolveDir: fileURLToPath(new URL('.', import.meta.url)) });
    ({ url: pageUrl, browser, close: closePage } = page);
    server = new TestServer();
    await server.start();
    await server.chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    await server.chat.upsertUser({ id: 'ben', displayName: 'Ben' });
  });

  afterAll(async () => {
    ben?.close();
    await closePage?.();
    await server?.stop();
  });

  it('a bundled client in the page exchanges messages with a Node client', async () => {
    server.tokens.set('browser-ana', 'ana');
    ben = device(server, 'ben', 'node-ben');
    await ben.ready();
    const dm = await ben.api.openDirect({ userId: 'ana' });
    await ben.open(dm.id);
    const tab = await browser!.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(pageUrl);
    await tab.evaluate(
      async ({ url, dmId }) => {
        const w = window as unknown as Record<string, any>;
        const client = w.Parley.createClient({ url, token: 'browser-ana' });
        w.client = client;
        w.texts = () => client.messages(dmId).getSnapshot().messages.map((m: { text: string }) => m.text);
        await client.ready();
        await client.open(dmId);
      },
      { url: server.url, dmId: dm.id },
    );
    await ben.send({ conversationId: dm.id, text: 'hello from node' }).message;
    await tab.waitForFunction(() => (window as any).texts().includes('hello from node'), undefined, { timeout: 10_000 });
    const sent = await tab.evaluate(async (dmId) => {
      const client = (window as any).client;
      const h = client.send({ conversationId: dmId, text: 'hello from chromium' });
      const pending = client.messages(dmId).getSnapshot().messages.at(-1).status;
      const m = await h.message;
      return { pending, seq: m.seq, state: client.state, userId: client.userId, unread: client.inbox.getSnapshot().byId[dmId].unread };
    }, dm.id);
    expect(sent).toMatchObject({ pending: 'sending', state: 'ready', userId: 'ana', unread: 0 });
    await until(() => expect(heldMessages(ben, dm.id).map((m) => m.text)).toEqual(['hello from node', 'hello from chromium']));
    expect(await tab.evaluate(() => (window as any).texts())).toEqual(['hello from node', 'hello from chromium']);
    // ana replied, which reads everything before her message: ben sees his message as read
    await until(() => expect(ben.messages(dm.id).getSnapshot().messages[0]!.status).toBe('read'));
    expect(errors).toEqual([]);
    await tab.evaluate(() => (window as any).client.close());
  });
});

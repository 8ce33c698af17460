/**
 * The offline cache on the real IndexedDB of Chromium: a page that reloads while the server is
 * down shows the cached inbox and conversation at once; back online it converges; sign-out
 * leaves nothing of the user in IndexedDB.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserPage, browserTestsRun } from './browser-page.js';
import { TestServer, serverMessages } from './harness.js';

describe.skipIf(!browserTestsRun)('offline cache in Chromium (real IndexedDB)', () => {
  let server: TestServer;
  let pageUrl = '';
  let browser: import('playwright-core').Browser | undefined;
  let closePage: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const src = (p: string) => JSON.stringify(fileURLToPath(new URL(p, import.meta.url)));
    const page = await browserPage({ contents: `export * from ${src('../src/index.ts')}; export * as offline from ${src('../src/offline/index.ts')};`, resolveDir: fileURLToPath(new URL('.', import.meta.url)) });
    ({ url: pageUrl, browser, close: closePage } = page);
    server = new TestServer();
    await server.start();
    for (const id of ['ana', 'ben']) await server.chat.upsertUser({ id, displayName: id });
    server.tokens.set('browser-ana', 'ana');
  });

  afterAll(async () => {
    await closePage?.();
    await server?.stop();
  });

  it('reload offline: cached inbox and messages at once; online again: converges; sign-out empties IndexedDB', async () => {
    const dm = await server.chat.as('ben').openDirect({ userId: 'ana' });
    for (const text of ['one', 'two', 'three']) await server.chat.as('ben').send({ conversationId: dm.id, clientId: text, text });
    const context = await browser!.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    const start = (online: boolean) =>
      tab.evaluate(
        async ({ url, dmId, online }) => {
          const w = window as unknown as Record<string, any>;
          const P = w.Parley;
          const cache = P.offline.createOfflineCache({ storage: P.offline.indexedDbCacheStorage() });
          const client = P.createClient({ url, token: 'browser-ana', userId: 'ana', cache, cacheDelayMs: 10 });
          w.client = client;
          w.texts = () => client.messages(dmId).getSnapshot().messages.map((m: { text: string }) => m.text);
          w.rows = () => client.inbox.getSnapshot().items.map((e: any) => [e.conversation.id, e.conversation.lastSeq, e.unread]);
          if (online) await client.ready();
          await client.open(dmId);
          return { state: client.state, texts: w.texts(), rows: w.rows() };
        },
        { url: server.url, dmId: dm.id, online },
      );

    await tab.goto(pageUrl);
    const first = await start(true);
    expect(first.texts).toEqual(['one', 'two', 'three']);
    await tab.evaluate(async () => {
      await (window as any).client.flushCache();
      (window as any).client.close();
    });

    // the server goes away; the page reloads (a new JS context, the same IndexedDB)
    await server.stop();
    await tab.reload();
    const offline = await start(false);
    expect(offline.state).not.toBe('ready');
    expect(offline.texts).toEqual(['one', 'two', 'three']);
    expect(offline.rows).toEqual([[dm.id, 4, 3]]);

    // online again, with news: it converges with the server
    await server.start();
    await server.chat.as('ben').send({ conversationId: dm.id, clientId: 'four', text: 'four' });
    const want = (await serverMessages(server.chat, 'ana', dm.id)).map((m) => m.text);
    await tab.waitForFunction((n) => (window as any).texts().length === n && (window as any).client.state === 'ready', want.length, { timeout: 15_000 });
    expect(await tab.evaluate(() => (window as any).texts())).toEqual(want);

    // sign-out: nothing of ana is left in IndexedDB
    const left = await tab.evaluate(async () => {
      await (window as any).client.signOut();
      return new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('parley-cache:user%3Aana');
        req.onsuccess = () => {
          const keys = req.result.transaction('records', 'readonly').objectStore('records').getAllKeys();
          keys.onsuccess = () => resolve(keys.result.length);
          keys.onerror = () => reject(keys.error);
        };
        req.onerror = () => reject(req.error);
      });
    });
    expect(left).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});

/**
 * The offline cache on the real IndexedDB of Chromium: a page that reloads while the server is
 * down shows the cached inbox and conversation at once; back online it converges; sign-out
 * leaves nothing of the user in IndexedDB.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, serverMessages } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi) console.warn(`[browser offline test skipped] ${CHROMIUM} not found; install it with: apt-get install -y chromium`);

describe.skipIf(!haveChromium && !inCi)('offline cache in Chromium (real IndexedDB)', () => {
  let server: TestServer;
  let page: Server;
  let pageUrl = '';
  let browser: import('playwright-core').Browser | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI: ${CHROMIUM} is required for the browser test (apt-get install -y chromium)`);
    const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));
    const bundle = await build({
      stdin: { contents: `export * from ${JSON.stringify(src('../src/index.ts'))}; export * as offline from ${JSON.stringify(src('../src/offline/index.ts'))};`, resolveDir: src('.'), loader: 'ts' },
      bundle: true,
      format: 'iife',
      globalName: 'Parley',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@parley/source'],
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.text;
    page = createServer((req, res) => {
      if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>parley</title><script src="/client.js"></script>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', () => r()));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    server = new TestServer();
    await server.start();
    for (const id of ['ana', 'ben']) await server.chat.upsertUser({ id, displayName: id });
    server.tokens.set('browser-ana', 'ana');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => page?.close(r));
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

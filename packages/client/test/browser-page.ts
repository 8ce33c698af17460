import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';

/** Where the browser tests find Chromium, and whether they run (always in CI, where its absence fails). */
export const CHROMIUM = '/usr/bin/chromium';
export const browserTestsRun = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!browserTestsRun) console.warn(`[browser tests skipped] ${CHROMIUM} not found; install it with: apt-get install -y chromium`);

/** A page served on 127.0.0.1 that loads `entry` (TypeScript source) bundled as the global `Parley`, and a headless Chromium. */
export async function browserPage(entry: { contents: string; resolveDir: string }): Promise<{ url: string; browser: import('playwright-core').Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`CI: ${CHROMIUM} is required for the browser tests (apt-get install -y chromium)`);
  const bundle = await build({
    stdin: { ...entry, loader: 'ts' },
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
  const page: Server = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>parley</title><script src="/client.js"></script>');
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', () => r()));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    url: `http://127.0.0.1:${(page.address() as AddressInfo).port}/`,
    browser,
    close: async () => {
      await browser.close();
      await new Promise((r) => page.close(r));
    },
  };
}

/**
 * Moderation in a real browser: a member reports a spammer's message, the channel's owner bans the
 * spammer from the report queue, and the spammer's attempt to come back is refused.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../src/server.js';
import { openDemoStorage, type DemoStorage } from '../src/storage.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser test must run in CI (apt-get install -y chromium)`);
  console.warn(`[moderation.browser.test] skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}
const T = 10_000;
const poll = <V>(fn: () => Promise<V> | V) => expect.poll(fn, { timeout: T, interval: 50 });

describe.skipIf(!available)('demo in Chromium: report to ban', () => {
  let dir: string;
  let storage: DemoStorage;
  let server: DemoServer;
  let browser: Browser;
  const pages: Page[] = [];

  const signIn = async (name: string): Promise<{ page: Page; id: string }> => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(T);
    pages.push(page);
    await page.goto(server.url);
    await page.getByLabel('Display name').fill(name);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.shell').waitFor();
    const id = await page.evaluate(() => (JSON.parse(localStorage.getItem('parley.demo.session') ?? '{}') as { user: { id: string } }).user.id);
    return { page, id };
  };
  const toast = (page: Page) => page.locator('.toast').last();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-demo-moderation-'));
    const [s, b] = await Promise.all([
      openDemoStorage(dir),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }),
    ]);
    storage = s;
    browser = b;
    server = await startDemoServer({ chat: storage.chat, dataDir: dir, port: 0, log: () => {} });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await storage?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a member reports, the owner bans from the queue, the banned user cannot come back', async () => {
    const owner = await signIn('Olga Owner');
    const member = await signIn('Mia Member');
    const spammer = await signIn('Sam Spammer');
    const channel = await storage.chat.as(owner.id).createChannel({ title: 'moderated' });
    for (const u of [member.id, spammer.id]) await storage.chat.as(u).join({ conversationId: channel.id });
    await storage.chat.as(spammer.id).send({ conversationId: channel.id, clientId: 'spam', text: 'cheap pills here' });
    const open = async (page: Page) => {
      await page.locator(`.conv-row[data-conversation="${channel.id}"]`).click();
      await page.locator('[data-test=message]', { hasText: 'cheap pills here' }).waitFor();
    };

    // the member reports the message
    await open(member.page);
    const spam = member.page.locator('[data-test=message]', { hasText: 'cheap pills here' }).last();
    await spam.hover();
    await spam.locator('[data-action=report]').click();
    await poll(() => toast(member.page).textContent()).toBe('Reported to the moderators');

    await open(spammer.page);

    // the owner works the queue: the report names the reporter, and Ban bans the sender
    await open(owner.page);
    await owner.page.locator('[data-test=info]').click();
    const report = owner.page.locator(`[data-test=report][data-target="${spammer.id}"]`);
    await poll(() => report.textContent()).toContain('reported by Mia Member');
    await report.locator('[data-test=report-ban]').click();
    await poll(() => toast(owner.page).textContent()).toBe('Sam Spammer banned');
    await poll(async () => (await storage.chat.store.getMember(channel.id, spammer.id))?.leftSeq ?? null).not.toBeNull();

    // the spammer is out, and "Join again" is refused
    await spammer.page.getByRole('button', { name: 'Join again' }).click();
    await poll(() => toast(spammer.page).textContent()).toBe('banned from this conversation');
    expect((await storage.chat.store.getMember(channel.id, spammer.id))!.leftSeq).not.toBeNull();
    // the spammer's screen never showed who reported them
    expect(await spammer.page.locator('body').textContent()).not.toContain('reported by');
  });
});

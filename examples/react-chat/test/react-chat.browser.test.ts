/**
 * The React example in a real browser: two Chromium contexts sign in as two users, one starts a
 * direct chat and sends a message, the other sees it arrive (unread badge, then the conversation),
 * sees the first one typing, and answers.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReactChat, type ReactChatServer } from '../src/server.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser test must run in CI (apt-get install -y chromium)`);
  console.warn(`[react-chat.browser.test] skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}
const T = 10_000;
const poll = <V>(fn: () => Promise<V> | V) => expect.poll(fn, { timeout: T, interval: 50 });

describe.skipIf(!available)('react-chat in Chromium: two users exchange messages', () => {
  let chat: Chat;
  let app: ReactChatServer;
  let browser: Browser;
  let ana: Page;
  let ben: Page;
  const errors: string[] = [];

  const signIn = async (page: Page, name: string) => {
    await page.goto(app.url);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('[data-test=state]').textContent()).toBe('ready');
  };
  const messages = (page: Page) => page.locator('[data-test=message] .text').allTextContents();

  beforeAll(async () => {
    chat = createChat({ store: createMemoryStore() });
    const [a, b] = await Promise.all([
      startReactChat({ chat, port: 0 }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }),
    ]);
    app = a;
    browser = b;
    ana = await (await browser.newContext()).newPage();
    ben = await (await browser.newContext()).newPage();
    for (const p of [ana, ben]) {
      p.setDefaultTimeout(T);
      p.on('pageerror', (e) => errors.push(e.message));
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await chat?.close();
  });

  it('signs in, sends, receives with an unread badge, shows typing, and answers', async () => {
    await signIn(ben, 'Ben');
    await signIn(ana, 'Ana');
    await ana.getByPlaceholder('Chat with… (their name)').fill('ben');
    await ana.getByRole('button', { name: 'Start' }).click();
    await poll(() => ana.locator('[data-test=title]').textContent()).toBe('Ben');
    await ana.getByLabel('Message').fill('Hi Ben, from React!');
    await ana.getByLabel('Message').press('Enter');
    await poll(() => messages(ana)).toEqual(['Hi Ben, from React!']);

    // Ben: the conversation appears in the inbox with an unread badge, then opens
    const row = ben.locator('[data-test=conv][data-title=Ana]');
    await poll(() => row.locator('[data-test=unread]').textContent()).toBe('1');
    await poll(() => ben.locator('[data-test=unread-total]').textContent()).toBe('1');
    await row.click();
    await poll(() => messages(ben)).toEqual(['Hi Ben, from React!']);
    // reading it clears the badges; Ana's tick turns to read
    await poll(() => ben.locator('[data-test=unread-total]').count()).toBe(0);
    await poll(() => ana.locator('[data-test=message]').last().getAttribute('data-status')).toBe('read');

    // Ana types: Ben sees it
    await ana.getByLabel('Message').pressSequentially('so', { delay: 20 });
    await poll(() => ben.locator('[data-test=typing]').textContent()).toBe('ana typing…');

    await ben.getByLabel('Message').fill('Hello Ana!');
    await ben.getByRole('button', { name: 'Send' }).click();
    await poll(() => messages(ana)).toEqual(['Hi Ben, from React!', 'Hello Ana!']);
    await poll(() => messages(ben)).toEqual(['Hi Ben, from React!', 'Hello Ana!']);
    expect(errors).toEqual([]);
  });
});

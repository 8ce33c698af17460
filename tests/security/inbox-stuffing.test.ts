/**
 * Hardening item 9, inbox stuffing: a user adds a victim to many groups with big metadata. Before
 * paging, the victim's single sync reply grew with the attack (5.1 MB for 300 groups) and a client
 * behind a slow link was closed as a slow consumer on every resume. Now every sync page stays
 * near the engine's byte budget and the victim reads all of it through a throttled link.
 */
import { CLOSE_CODES } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../support/world.js';
import { ThrottleProxy } from '../support/throttle-proxy.js';
import { WireSocket } from '../support/wire.js';

let w: World | null = null;
let proxy: ThrottleProxy | null = null;
afterEach(async () => {
  await proxy?.stop();
  await w?.close();
  w = null;
  proxy = null;
});

const GROUPS = 300;
const RATE = 2 * 1024 * 1024;

describe('inbox stuffing', () => {
  it(`a victim in ${GROUPS} groups with 16 KiB metadata each resumes through a ${RATE >> 20} MB/s link, every membership once`, async () => {
    w = await startWorld(['victim', 'attacker'], { limits: { maxBufferedBytes: 512 * 1024 } });
    const junk = 'j'.repeat(16_000);
    const ids = new Set<string>();
    // the per-user quotas (packages/core/src/quotas.test.ts) cap this attack at 60 groups an hour;
    // here the paging defence is tested on its own, so the setup is unlimited
    for (let i = 0; i < GROUPS; i++) {
      ids.add((await w.chat.as('attacker', { unlimited: true }).createGroup({ title: `spam ${i}`, memberIds: ['victim'], metadata: { junk } })).id);
    }
    proxy = new ThrottleProxy({ target: () => w!.host.port, bytesPerSecond: RATE });
    await proxy.start();
    const victim = new WireSocket(proxy.url, { token: w.host.token('victim') });
    await victim.ready();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let largest = 0;
    let page: string | null | undefined;
    const started = Date.now();
    do {
      const reply = await victim.request('sync', page ? { page } : {}, 20_000);
      expect(reply.ok, JSON.stringify(reply).slice(0, 200)).toBe(true);
      if (!reply.ok) break;
      const result = reply.result as { entries: Array<{ conversation: { id: string } }>; cursor: string; nextPage: string | null };
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(result)));
      seen.push(...result.entries.map((e) => e.conversation.id));
      cursor ??= result.cursor;
      expect(result.cursor).toBe(cursor);
      page = result.nextPage;
      pages += 1;
    } while (page);
    const ms = Date.now() - started;
    console.log(`inbox stuffing: ${pages} pages, largest ${largest} B, ${proxy.delivered} B through the link in ${ms} ms`);
    expect(victim.closeCode).toBeNull();
    expect(w.log.lines.some((l) => l.includes('slow consumer'))).toBe(false);
    expect(seen).toHaveLength(GROUPS);
    expect(new Set(seen)).toEqual(ids);
    expect(largest).toBeLessThan(256 * 1024 + 20_000);
    expect(victim.closeCode).not.toBe(CLOSE_CODES.SLOW_CONSUMER);
  }, 60_000);
});

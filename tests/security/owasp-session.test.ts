/**
 * OWASP WebSocket item: session re-validation. A token revoked while its socket is open ends
 * the connection (close 4003) within the configured interval; valid sessions are untouched, and
 * a revoked token cannot come back.
 */
import { CLOSE_CODES } from '@parley/protocol';
import { TOKEN_SUBPROTOCOL_PREFIX } from '@parley/transport-ws';
import { SUBPROTOCOL } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WireSocket } from '../support/wire.js';
import { startWorld, type World } from '../support/world.js';

let w: World | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

const INTERVAL = 150;

describe('session re-validation', () => {
  it(`a revoked token is closed with 4003 within revalidateIntervalMs (${INTERVAL} ms); other sessions stay`, async () => {
    const revoked = new Set<string>();
    const checks: Array<{ userId: string; hadToken: boolean }> = [];
    w = await startWorld(['ana', 'ben'], {
      limits: { revalidateIntervalMs: INTERVAL },
      revalidate: ({ userId, token }) => {
        checks.push({ userId, hadToken: token !== undefined });
        return token !== undefined && !revoked.has(token) && w!.host.tokens.has(token);
      },
    });
    const anaToken = w.host.token('ana');
    const ana = new WireSocket(w.host.url, { token: anaToken });
    await ana.ready();
    const ben = await w.socket('ben');
    // live for a few intervals: no false positives
    await new Promise((r) => setTimeout(r, INTERVAL * 3));
    expect(ana.closeCode).toBeNull();
    expect(checks.filter((c) => c.userId === 'ana').length).toBeGreaterThanOrEqual(2);
    expect(checks.every((c) => c.hadToken)).toBe(true);
    // revoke (the host deletes the session); the socket must end within one interval (+ scheduling slack)
    revoked.add(anaToken);
    w.host.tokens.delete(anaToken);
    const at = Date.now();
    expect(await ana.closed).toBe(CLOSE_CODES.SESSION_REVOKED);
    expect(Date.now() - at).toBeLessThanOrEqual(INTERVAL + 250);
    expect(ben.closeCode).toBeNull();
    expect((await ben.request('me', {})).ok).toBe(true);
    // the same token cannot reconnect, by frame or by subprotocol
    const again = new WireSocket(w.host.url, { token: anaToken });
    expect(await again.closed).toBe(CLOSE_CODES.UNAUTHENTICATED);
    const viaProtocol = new WireSocket(w.host.url, { protocols: [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${Buffer.from(anaToken).toString('base64url')}`] });
    expect(await viaProtocol.closed).toBe(CLOSE_CODES.UNAUTHENTICATED);
  });

  it('a revoked session receives no pushes after the close', async () => {
    w = await startWorld(['ana', 'ben'], {
      limits: { revalidateIntervalMs: INTERVAL },
      revalidate: ({ token }) => token !== undefined && w!.host.tokens.has(token),
    });
    const anaToken = w.host.token('ana');
    const ana = new WireSocket(w.host.url, { token: anaToken });
    await ana.ready();
    const ben = await w.socket('ben');
    const dm = await ben.ok<{ id: string }>('openDirect', { userId: 'ana' });
    await ben.ok('send', { conversationId: dm.id, clientId: 'before', text: 'before revocation' });
    await ana.until(() => ana.pushes.find((p) => p.ev === 'event' && p.event.seq === 2));
    w.host.tokens.delete(anaToken);
    expect(await ana.closed).toBe(CLOSE_CODES.SESSION_REVOKED);
    const pushesAtClose = ana.pushes.length;
    await ben.ok('send', { conversationId: dm.id, clientId: 'after', text: 'after revocation' });
    await new Promise((r) => setTimeout(r, 100));
    expect(ana.pushes.length).toBe(pushesAtClose);
  });

  it('a revalidate hook that throws counts as revoked (fail closed)', async () => {
    w = await startWorld(['ana'], {
      limits: { revalidateIntervalMs: INTERVAL },
      revalidate: () => {
        throw new Error('session store down');
      },
    });
    const ana = await w.socket('ana');
    expect(await ana.closed).toBe(CLOSE_CODES.SESSION_REVOKED);
    expect(w.log.lines.join('\n')).toContain('revalidate hook threw');
  });
});

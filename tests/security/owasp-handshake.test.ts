/**
 * OWASP WebSocket items decided at the handshake: Origin check, no credentials in URLs, and no
 * tokens or message text in the logs.
 */
import { randomUUID } from 'node:crypto';
import { TOKEN_SUBPROTOCOL_PREFIX } from '@parley/transport-ws';
import { SUBPROTOCOL } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogger, ServerHost } from '../support/server.js';
import { WireSocket } from '../support/wire.js';
import { startWorld, type World } from '../support/world.js';

describe('Origin check', () => {
  let w: World;
  let strict: World;
  beforeAll(async () => {
    w = await startWorld(['ana'], { origins: ['https://app.example'] });
    strict = await startWorld(['ana'], { origins: (o) => o.endsWith('.corp.example'), limits: { allowMissingOrigin: false } });
  });
  afterAll(async () => {
    await w.close();
    await strict.close();
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['a lookalike with a suffix', 'https://app.example.evil.example'],
    ['another scheme', 'http://app.example'],
    ['another port', 'https://app.example:8443'],
    ['the opaque null origin', 'null'],
  ])('refuses %s with HTTP 403 on the upgrade, before authentication', async (_name, origin) => {
    const token = w.host.token('ana');
    const hook = vi.spyOn(w.host.tokens, 'get');
    const s = new WireSocket(w.host.url, { headers: { origin }, protocols: [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${Buffer.from(token).toString('base64url')}`] });
    expect(await s.opened).toBe(false);
    expect(s.upgradeStatus).toBe(403);
    expect(hook, 'the authenticate hook must not run for a refused origin').not.toHaveBeenCalled();
    hook.mockRestore();
  });

  it('accepts a listed origin and, by default, non-browser clients without an Origin', async () => {
    const listed = new WireSocket(w.host.url, { token: w.host.token('ana'), headers: { origin: 'https://app.example' } });
    await listed.ready();
    const bare = new WireSocket(w.host.url, { token: w.host.token('ana') });
    await bare.ready();
    listed.close();
    bare.close();
  });

  it('with allowMissingOrigin: false refuses upgrades without an Origin; a predicate decides the rest', async () => {
    const bare = new WireSocket(strict.host.url, { token: strict.host.token('ana') });
    expect(await bare.opened).toBe(false);
    expect(bare.upgradeStatus).toBe(403);
    const bad = new WireSocket(strict.host.url, { token: strict.host.token('ana'), headers: { origin: 'https://corp.example.evil' } });
    expect(await bad.opened).toBe(false);
    expect(bad.upgradeStatus).toBe(403);
    const good = new WireSocket(strict.host.url, { token: strict.host.token('ana'), headers: { origin: 'https://chat.corp.example' } });
    await good.ready();
    good.close();
  });
});

describe('no tokens in URLs', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(['ana']);
  });
  afterAll(() => w.close());

  it.each(['token', 'access_token', 'auth_token', 'jwt', 'auth'])('a valid token in ?%s= is refused (HTTP 400), not accepted', async (param) => {
    const token = w.host.token('ana');
    const s = new WireSocket(`${w.host.url}?${param}=${encodeURIComponent(token)}`);
    expect(await s.opened).toBe(false);
    expect(s.upgradeStatus).toBe(400);
  });

  it('a token under any other query name is ignored: the socket stays unauthenticated', async () => {
    const token = w.host.token('ana');
    const s = new WireSocket(`${w.host.url}?t=${encodeURIComponent(token)}&session=${encodeURIComponent(token)}`);
    expect(await s.opened).toBe(true);
    const r = await s.request('me', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await s.closed).toBe(4001);
  });
});

describe('no tokens or message text in logs', () => {
  it('a whole session (auth by frame and subprotocol, bad tokens, messages, errors, revocation) logs neither', async () => {
    const secretText = `secret-text-${randomUUID()}`;
    const revoked = new Set<string>();
    const w = await startWorld(['ana', 'ben'], {
      limits: { revalidateIntervalMs: 100 },
      revalidate: ({ token }) => token === undefined || !revoked.has(token),
    });
    try {
      const tokens: string[] = [];
      const tok = (u: string) => {
        const t = w.host.token(u, `tok-${u}-${randomUUID()}-SECRET`);
        tokens.push(t);
        return t;
      };
      const ana = new WireSocket(w.host.url, { token: tok('ana') });
      await ana.ready();
      const benToken = tok('ben');
      const ben = new WireSocket(w.host.url, { protocols: [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${Buffer.from(benToken).toString('base64url')}`] });
      await ben.ready();
      const dm = await ana.ok<{ id: string }>('openDirect', { userId: 'ben' });
      for (let i = 0; i < 5; i++) await ana.ok('send', { conversationId: dm.id, clientId: `c${i}`, text: `${secretText} ${i}` });
      await ben.ok('edit', { conversationId: dm.id, seq: 2, text: `${secretText} edited` }).catch(() => {});
      await ana.ok('edit', { conversationId: dm.id, seq: 2, text: `${secretText} edited` });
      await ben.ok('search', { query: secretText });
      // failures: invalid input carrying the text, a wrong token, a token the hook throws on
      await ana.request('send', { conversationId: dm.id, clientId: 'x', text: secretText, bogus: secretText });
      await ana.request('send', { conversationId: 'nope', clientId: 'y', text: secretText });
      const wrong = `wrong-${secretText}`;
      tokens.push(wrong);
      const bad = new WireSocket(w.host.url, { token: wrong });
      await bad.closed;
      // revocation
      revoked.add(tokens[0]!);
      expect(await ana.closed).toBe(4003);
      ben.close();
      await ben.closed;
    } finally {
      await w.close();
    }
    const text = w.log.lines.join('\n');
    expect(w.log.lines.length, 'the logger was used (else this test proves nothing)').toBeGreaterThan(5);
    expect(text).toContain('authenticated');
    expect(text).not.toContain(secretText);
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('tok-');
    expect(text).not.toContain(Buffer.from('tok-').toString('base64url').slice(0, 4) + 'ana');
  });

  it('an authenticate hook that throws with the token in its message does not get it logged', async () => {
    const { createChat, createMemoryStore } = await import('@parley/core');
    const chat = createChat({ store: createMemoryStore() });
    const token = `leaky-${randomUUID()}`;
    const log = captureLogger();
    // a careless verifier that echoes the token in its error
    const host = new ServerHost({
      chat,
      logger: log.logger,
      authenticate: ({ token: t }) => {
        throw new Error(`cannot verify token ${String(t)}`);
      },
    });
    await host.start();
    try {
      const s = new WireSocket(host.url, { token });
      expect(await s.closed).toBe(4001);
      expect(log.lines.join('\n')).toContain('authenticate hook threw');
      expect(log.lines.join('\n')).not.toContain(token);
    } finally {
      await host.stop();
      await chat.close();
    }
  });
});

import { CLOSE_CODES } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHarness, TestClient, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('an erased user (chat.eraseUser)', () => {
  it("every connected device is closed with 4003, reconnecting is refused, other users stay connected", async () => {
    h = await startHarness();
    const phone = await h.connect('ana');
    const laptop = await h.connect('ana');
    const ben = await h.connect('ben');
    const dm = await h.chat.as('ben').openDirect({ userId: 'ana' });
    await h.chat.as('ana').send({ conversationId: dm.id, clientId: 'a1', text: 'forget me' });
    await h.chat.eraseUser('ana', { mode: 'purge' });
    expect((await phone.closed).code).toBe(CLOSE_CODES.SESSION_REVOKED);
    expect((await laptop.closed).code).toBe(CLOSE_CODES.SESSION_REVOKED);
    const again = await TestClient.open(h.url, { auth: 'frame', token: 'tok-ana' });
    expect(await again.authReply()).toMatchObject({ id: 'auth', ok: false, error: { code: 'FORBIDDEN' } });
    expect((await again.closed).code).toBe(CLOSE_CODES.SESSION_REVOKED);
    expect(ben.socket.readyState).toBe(WebSocket.OPEN);
    const history = await ben.request('history', { conversationId: dm.id });
    expect(JSON.stringify(history)).not.toContain('forget me');
    expect(h.server.connections).toBe(1);
  });
});

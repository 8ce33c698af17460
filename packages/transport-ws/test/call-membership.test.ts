import type { Call } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('calls over the wire require current membership', () => {
  it('a removed participant is dropped from the live call (pushed to the others) and can no longer answer or signal', async () => {
    h = await startHarness();
    const [ana, ben, cat] = await Promise.all([h.connect('ana'), h.connect('ben'), h.connect('cat')]);
    const group = await ana.request('createGroup', { title: 'g', memberIds: ['ben', 'cat'] });
    const call = await ana.request('startCall', { conversationId: group.id, media: 'audio' });
    await ben.request('answerCall', { callId: call.id });
    await ana.request('removeMember', { conversationId: group.id, userId: 'cat' });
    const dropped = await ben.until(() =>
      ben
        .events(group.id)
        .flatMap((e) => (e.type === 'call' ? [e.call as Call] : []))
        .find((c) => c.participants.some((p) => p.userId === 'cat' && p.state === 'missed')),
    );
    expect(dropped.status).toBe('active');
    await expect(cat.request('answerCall', { callId: call.id })).rejects.toMatchObject({ body: { code: 'FORBIDDEN' } });
    await expect(cat.request('signal', { callId: call.id, to: 'ana', kind: 'offer', payload: { sdp: 'x' } })).rejects.toMatchObject({
      body: { code: 'FORBIDDEN' },
    });
    expect(await ben.request('signal', { callId: call.id, to: 'ana', kind: 'offer', payload: { sdp: 'y' } })).toEqual({ ok: true });
    await ana.waitFor((p) => p.ev === 'signal' && p.from === 'ben');
    expect(ana.pushes.some((p) => p.ev === 'signal' && p.from === 'cat')).toBe(false);
  });
});

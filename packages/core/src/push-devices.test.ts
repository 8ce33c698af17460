import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { isChatError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import type { ChatStore } from './store.js';

async function setup(store: ChatStore = createMemoryStore()) {
  const chat = createChat({ store, limits: { maxPushDevicesPerUser: 2 } });
  for (const id of ['ana', 'ben']) await chat.upsertUser({ id, displayName: id });
  return chat;
}
const code = (p: Promise<unknown>) => p.then(() => 'none', (e: unknown) => (isChatError(e) ? e.code : 'other'));

describe('push device operations', () => {
  it('a user registers, lists and removes only their own devices; the list is bounded by maxPushDevicesPerUser', async () => {
    const chat = await setup();
    const ana = chat.as('ana');
    const d = await ana.registerPushDevice({ deviceId: 'phone', provider: 'webpush', token: '{"endpoint":"x"}', level: 'mentions' });
    expect(d).toMatchObject({ userId: 'ana', deviceId: 'phone', provider: 'webpush', level: 'mentions' });
    await ana.registerPushDevice({ deviceId: 'laptop', provider: 'webpush', token: 't' });
    expect((await chat.as('ben').listPushDevices({})).length).toBe(0);
    expect(await chat.as('ben').removePushDevice({ deviceId: 'phone' })).toEqual({ removed: false });
    expect((await ana.listPushDevices({})).map((x) => x.deviceId)).toEqual(['laptop', 'phone']);
    await ana.registerPushDevice({ deviceId: 'tablet', provider: 'fcm', token: 't' });
    expect((await ana.listPushDevices({})).length).toBe(2);
    expect(await ana.removePushDevice({ deviceId: 'tablet' })).toEqual({ removed: true });
  });

  it('bad input is INVALID and changes nothing; a store without push devices says so', async () => {
    const chat = await setup();
    const ana = chat.as('ana');
    expect(await code(ana.registerPushDevice({ deviceId: 'has space', provider: 'webpush', token: 't' }))).toBe('INVALID');
    expect(await code(ana.registerPushDevice({ deviceId: 'd', provider: 'Web Push', token: 't' }))).toBe('INVALID');
    expect(await code(ana.registerPushDevice({ deviceId: 'd', provider: 'webpush', token: 'x'.repeat(4097) }))).toBe('INVALID');
    expect(await code(ana.registerPushDevice({ deviceId: 'd', provider: 'webpush', token: 't', level: 'loud' as never }))).toBe('INVALID');
    expect(await ana.listPushDevices({})).toEqual([]);
    const bare = await setup({ ...createMemoryStore(), push: undefined } as ChatStore);
    expect(await code(bare.as('ana').listPushDevices({}))).toBe('INVALID');
  });
});

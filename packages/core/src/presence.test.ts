import { describe, expect, it } from 'vitest';
import { createMemoryPresence } from './presence.js';

describe('createMemoryPresence', () => {
  it('connect reports the user’s live connections, the new one included; idempotent per connection id', async () => {
    const p = createMemoryPresence();
    expect(await p.connect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOnline: true, connections: 1 });
    expect(await p.connect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOnline: false, connections: 1 });
    expect(await p.connect({ userId: 'ana', connectionId: 'c2' })).toEqual({ nowOnline: false, connections: 2 });
    expect(await p.connect({ userId: 'ana', connectionId: 'c3' })).toEqual({ nowOnline: false, connections: 3 });
    expect(await p.connect({ userId: 'ben', connectionId: 'c1' })).toEqual({ nowOnline: true, connections: 1 });
    await p.disconnect({ userId: 'ana', connectionId: 'c2' });
    expect(await p.connect({ userId: 'ana', connectionId: 'c4' })).toEqual({ nowOnline: false, connections: 3 });
  });
});

import { PGlite } from '@electric-sql/pglite';
import { createPGliteDialect, createPostgresStore, migrate } from '@parley/storage-postgres';
import { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaultyPubSub, snapshot, startHarness, type Harness } from './helpers.js';

/** A representative subset of the suite against the Postgres store on embedded PGlite. */
describe('over the Postgres store (PGlite)', () => {
  let pglite: PGlite;
  let db: Kysely<unknown>;
  let h: Harness;
  const bus = createFaultyPubSub();

  beforeAll(async () => {
    pglite = new PGlite();
    await pglite.waitReady;
    db = new Kysely<unknown>({ dialect: createPGliteDialect({ pglite }) });
    await migrate({ db });
    h = await startHarness({ store: createPostgresStore({ db }), users: ['ana', 'ben', 'cat'], chat: { pubsub: bus }, limits: { ratePerSecond: 1000, rateBurst: 1000 } });
  });
  afterAll(async () => {
    await h?.close();
    await db?.destroy();
    await pglite?.close();
  });

  it('fans out to every device of the members, in order, nobody else, and fills gaps from the store', async () => {
    const [ana1, ana2, ben1, ben2, cat] = await Promise.all([h.connect('ana'), h.connect('ana'), h.connect('ben'), h.connect('ben'), h.connect('cat')]);
    const group = await ana1!.request('createGroup', { title: 'G', memberIds: ['ben'] });
    const senders = [ana1!, ana2!, ben1!, ben2!];
    await Promise.all(
      senders.map(async (c, i) => {
        for (let k = 0; k < 10; k++) await c.request('send', { conversationId: group.id, clientId: `s${i}-${k}`, text: `m${k}` });
      }),
    );
    bus.drop = (topic, m) => topic.startsWith('c:') && m.t === 'event' && m.event.type === 'message' && m.event.message.text === 'lost';
    await ana1!.request('send', { conversationId: group.id, clientId: 'lost', text: 'lost' });
    bus.drop = null;
    await ana1!.request('send', { conversationId: group.id, clientId: 'found', text: 'found' });
    const expected = Array.from({ length: 43 }, (_, i) => i + 1);
    for (const c of senders) {
      await c.until(() => (c.events(group.id).length >= expected.length ? true : undefined), 10_000);
      expect(c.events(group.id).map((e) => e.seq)).toEqual(expected);
    }
    expect(cat!.events()).toEqual([]);
    const history = await ben1!.request('history', { conversationId: group.id, after: 0, all: true, limit: 100 });
    expect(history.events.map((e) => e.seq)).toEqual(expected);
    await ben2!.request('markRead', { conversationId: group.id, seq: 43 });
    await ben1!.waitFor((p) => p.ev === 'receipt' && p.receipt.readSeq === 43);
    const sync = await ben1!.request('sync', {});
    expect(sync.entries.some((e) => e.conversation.id === group.id)).toBe(true);
  });

  it('bad frames change nothing in the Postgres store', async () => {
    const before = await snapshot(h.chat);
    const c = await h.connect('cat');
    const frames = ['{bad', '[]', JSON.stringify({ id: 1, op: 'send', params: { conversationId: 'x' } }), JSON.stringify({ id: 2, op: 'nope' }), JSON.stringify({ id: 3, op: 'createGroup', params: { title: '' } })];
    for (const f of frames) c.sendRaw(f);
    await c.until(() => (c.replies >= frames.length + 1 ? true : undefined));
    expect(c.orphans.filter((r) => r.id !== 'auth').every((r) => !r.ok && r.error.code === 'INVALID')).toBe(true);
    expect(await snapshot(h.chat)).toBe(before);
  });
});

import { OP_NAMES, WireOpParams } from '@parley/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot, startHarness, type Harness, type TestClient } from './helpers.js';

const ops = [...OP_NAMES, ...Object.keys(WireOpParams)];

/** Random frames: garbage text, random JSON, envelopes with random ids/ops/params, and near-valid requests. */
const frame = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        id: fc.oneof(fc.nat(), fc.string({ maxLength: 80 }), fc.constant(null), fc.double(), fc.boolean()),
        op: fc.oneof(fc.constantFrom(...ops), fc.string({ maxLength: 70 }), fc.constant('__proto__'), fc.constant('constructor')),
        params: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('conversationId', 'seq', 'text', 'userId', 'clientId', 'ids', 'userIds', 'cursor', 'limit', 'token', '__proto__'), fc.jsonValue({ maxDepth: 2 }))),
        extra: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: ['op'] },
    )
    .map((r) => JSON.stringify(r)),
);

describe('fuzz: thousands of random frames at a live server', () => {
  let h: Harness;
  let ana: TestClient;
  let before: string;

  beforeAll(async () => {
    h = await startHarness({ users: ['ana', 'ben', 'cat', 'mal'], limits: { ratePerSecond: 1e6, rateBurst: 1e6, maxInFlight: 1e6 } });
    ana = await h.connect('ana');
    const dm = await h.chat.as('ben').openDirect({ userId: 'ana' });
    await h.chat.as('ben').send({ conversationId: dm.id, clientId: 'seed', text: 'hello' });
    await h.chat.as('ana').createChannel({ title: 'open channel' });
    before = await snapshot(h.chat);
  });
  afterAll(() => h.close());

  it('answers every frame exactly once, stays up, serves others and changes nothing', async () => {
    let mal = await h.connect('mal');
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
        if (mal.socket.readyState !== mal.socket.OPEN) mal = await h.connect('mal');
        const start = mal.replies;
        for (const f of frames) mal.sendRaw(f);
        sent += frames.length;
        // one reply per frame (the auth reply is not counted: it came before `start`)
        await mal.until(() => (mal.replies - start >= frames.length ? true : undefined), 5000);
        expect(mal.replies - start).toBe(frames.length);
        expect(mal.socket.readyState).toBe(mal.socket.OPEN);
      }),
      { numRuns: 1500, interruptAfterTimeLimit: 6000, seed: 20240601 },
    );
    expect(sent).toBeGreaterThan(1000);
    // nothing that ana, ben or cat can see changed, and mal created nothing
    expect(await snapshot(h.chat)).toBe(before);
    expect((await h.chat.as('mal').inbox({})).items).toEqual([]);
    // others are still served and receive pushes
    const dm = (await ana.request('inbox', {})).items.find((e) => e.conversation.kind === 'direct')!;
    const m = await h.chat.as('ben').send({ conversationId: dm.conversation.id, clientId: 'after', text: 'still here' });
    await ana.waitFor((p) => p.ev === 'event' && p.event.seq === m.seq);
  }, 30_000);
});

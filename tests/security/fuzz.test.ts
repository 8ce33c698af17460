/**
 * Property-based fuzzing (fast-check, bounded) of every operation's params, through the public
 * API (`chat.as(user).call`) and over the wire. Whatever the params, the answer is a value or a
 * typed error the rules allow (never INTERNAL/UNAVAILABLE, never a thrown non-ChatError), a
 * refused request changes nothing, and the connection keeps serving.
 */
import { isChatError } from '@parley/core';
import { OP_NAMES } from '@parley/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NASTY } from '../support/nasty.js';
import { seedFrom } from '../support/random.js';
import type { WireSocket } from '../support/wire.js';
import { snapshot, startWorld, type World } from '../support/world.js';

const SEED = seedFrom('FUZZ_SEED');
console.log(`[fuzz] seed ${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run tests/security/fuzz.test.ts)`);

const ALLOWED = new Set(['INVALID', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT']);
/** Operations that change nothing when they fail, and nothing observable when they succeed with fuzz (reads). */
const WIRE_OPS = [...OP_NAMES, 'typing', 'signal'];

let w: World;
let ana: WireSocket;
const ids: Record<string, string> = {};

beforeAll(async () => {
  w = await startWorld(['ana', 'ben', 'cat'], { limits: { ratePerSecond: 10_000, rateBurst: 10_000, userRatePerSecond: 10_000, userRateBurst: 10_000, maxInFlight: 1000 } });
  ana = await w.socket('ana');
  const dm = await w.chat.as('ana').openDirect({ userId: 'ben' });
  const group = await w.chat.as('ben').createGroup({ title: 'fuzz', memberIds: ['cat'] }); // ana is not in it
  await w.chat.as('ben').send({ conversationId: dm.id, clientId: 'x', text: 'hello' });
  ids.dm = dm.id;
  ids.group = group.id;
});
afterAll(() => w.close());

/** Values that hit types, bounds and the real ids of the world. */
const anyValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(...NASTY),
    fc.constantFrom('ana', 'ben', 'cat', 'nobody'),
    fc.constant(undefined).map(() => ids.dm),
    fc.constant(undefined).map(() => ids.group),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer({ min: -5, max: 10 }),
    fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 60, 1e308),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { maxKeys: 3 }),
  );

const KEYS = ['conversationId', 'userId', 'userIds', 'ids', 'seq', 'text', 'clientId', 'scope', 'emoji', 'remove', 'pinned', 'title', 'memberIds', 'role', 'until', 'query', 'limit', 'cursor', 'before', 'after', 'all', 'since', 'callId', 'media', 'kind', 'displayName', 'statusText', 'metadata', 'alias', 'typing', 'to', 'payload', 'attachments', 'replyTo', 'mentions', 'avatarUrl', 'messageTtlSeconds'];
const params = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), anyValue(), { maxKeys: 5 }) },
  { weight: 1, arbitrary: anyValue() },
);

describe(`fuzzing every operation (seed ${SEED})`, () => {
  it('through the public API: only allowed typed errors; failures change nothing', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WIRE_OPS), params, async (op, p) => {
        // mutating ops that succeed change the state legitimately: compare only around failures
        const mark = await snapshot(w.chat, w.users);
        try {
          await w.chat.as('ana').call(op, p);
        } catch (error) {
          expect(isChatError(error), `${op} threw a non-ChatError: ${String(error)}`).toBe(true);
          expect(ALLOWED.has((error as { code: string }).code), `${op} ${JSON.stringify(p)} → ${(error as Error).message}`).toBe(true);
          expect(await snapshot(w.chat, w.users), `${op} failed but changed the state`).toBe(mark);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
    // nothing ana did can show up in a group she is not in
    const { events } = await w.chat.as('ben').history({ conversationId: ids.group!, after: 0, limit: 200, all: true });
    expect(events.filter((e) => e.actorId === 'ana')).toEqual([]);
  });

  it('over the wire: every frame is answered once, with an allowed code, and the socket keeps serving', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WIRE_OPS), params, async (op, p) => {
        const r = await ana.request(op, p);
        if (!r.ok) expect(ALLOWED.has(r.error.code), `${op} ${JSON.stringify(p)} → ${r.error.code} ${r.error.message}`).toBe(true);
      }),
      { seed: SEED + 1, numRuns: 400 },
    );
    expect(ana.closeCode).toBeNull();
    expect(ana.replies.filter((r) => r.id !== 'auth'), 'stray or duplicate replies').toEqual([]);
    expect((await ana.request('me', {})).ok).toBe(true);
    const { events } = await w.chat.as('ben').history({ conversationId: ids.group!, after: 0, limit: 200, all: true });
    expect(events.filter((e) => e.actorId === 'ana')).toEqual([]);
  });

  it('over the wire: arbitrary JSON frames (not just params) get typed answers and never close the socket', { timeout: 60_000 }, async () => {
    const sock = await w.socket('cat');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (frame) => {
        const seen = sock.replies.length;
        sock.sendRaw(JSON.stringify(frame));
        await sock.flush();
        for (const r of sock.replies.slice(seen)) if (!r.ok) expect(ALLOWED.has(r.error.code), JSON.stringify(r)).toBe(true);
      }),
      { seed: SEED + 2, numRuns: 300 },
    );
    // a very deep frame within the size limit: parsed, refused, no crash
    const depth = 10_000;
    sock.sendRaw(`{"id":"deep","op":"updateProfile","params":{"metadata":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`);
    const r = await sock.until(() => sock.replies.find((x) => x.id === 'deep'));
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(sock.closeCode).toBeNull();
  });
});

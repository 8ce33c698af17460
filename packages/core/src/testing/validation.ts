import { OpParams, type OpName } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { AUTHORIZATION_CASES, scenario, type Scenario } from './authorization.js';
import { createWorld, expectCode, snapshotOf, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const HUGE = 'x'.repeat(70_000);

/** Values that break some schema: wrong types, bad numbers, strings no store can round-trip. */
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, undefined, true, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, '', ' ', HUGE),
  fc.constantFrom<unknown>('lone \uD800 surrogate', 'trailing \uDC00', 'nul \u0000 char', 'tab\tid', 'javascript:alert(1)', 'x\u0001'),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxKeys: 2 }),
);

function schemaKeys(op: OpName): string[] {
  const schema = OpParams[op] as unknown as { shape?: Record<string, unknown> };
  return schema.shape ? Object.keys(schema.shape) : [];
}

/** Bad params for an op, derived from valid ones: one field replaced, one dropped, one added, or no object at all. */
function badParams(op: OpName, base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = [...new Set([...Object.keys(base), ...schemaKeys(op)])];
  const variants: Array<fc.Arbitrary<unknown>> = [
    fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(badValue, fc.string())).map(([k, v]) => ({ ...base, [k]: v })),
    fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.array(fc.integer(), { maxLength: 2 }), fc.constant(true)),
  ];
  if (keys.length > 0) {
    variants.push(fc.tuple(fc.constantFrom(...keys), badValue).map(([k, v]) => ({ ...base, [k]: v })));
    variants.push(fc.tuple(fc.constantFrom(...keys), badValue).map(([k, v]) => ({ ...base, [k]: v })));
  }
  if (Object.keys(base).length > 0) {
    variants.push(fc.constantFrom(...Object.keys(base)).map((k) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k))));
  }
  return fc.oneof(...variants);
}

/** The first authorization case of each op: valid params for an owner of a group with a ringing call. */
const baseCases = AUTHORIZATION_CASES.filter((c, i) => AUTHORIZATION_CASES.findIndex((x) => x.op === c.op) === i);

/** Rejected input changes nothing: schema fuzzing for every op, and inputs that break limits or reference nothing. */
export function validationSuite(o: ResolvedStoreOptions): void {
  describe('validation', () => {
    const store = useStore(o);
    const limits = { maxTextLength: 100, maxAttachments: 2, maxAttachmentBytes: 1000 };

    describe('fuzzed params of every op are INVALID and change nothing', () => {
      for (const c of baseCases) {
        it(c.op, async () => {
          const w = createWorld(store(), { limits });
          const s = await scenario(w, 'group', 'owner', true);
          const base = c.params(s);
          const before = await snapshotOf(o, w);
          let tried = 0;
          await fc.assert(
            fc.asyncProperty(badParams(c.op, base), async (params) => {
              fc.pre(!OpParams[c.op].safeParse(params ?? {}).success);
              tried++;
              const error = await w.chat.as(s.actor).call(c.op, params).then(
                () => new Error(`accepted ${JSON.stringify(params)?.slice(0, 200)}`),
                (e: unknown) => e,
              );
              expect(isChatError(error, 'INVALID'), String(error)).toBe(true);
            }),
            { numRuns: o.runs(15) },
          );
          expect(tried).toBeGreaterThan(0);
          expect(await snapshotOf(o, w)).toBe(before);
        });
      }
    });

    /** Each row: the call, and the code it must get. Run on one world; the store must not change. */
    const semantic: Array<[string, (w: World, s: Scenario) => Promise<unknown>, string]> = [
      ['text over limits.maxTextLength', (w, s) => w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v1', text: 'y'.repeat(101) }), 'INVALID'],
      ['text of only whitespace', (w, s) => w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v2', text: '   ' }), 'INVALID'],
      ['more attachments than limits.maxAttachments', (w, s) =>
        w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v3', kind: 'file', attachments: [1, 2, 3].map((i) => ({ url: `https://x/${i}`, mime: 'text/plain', size: 1 })) }), 'INVALID'],
      ['attachment over limits.maxAttachmentBytes', (w, s) =>
        w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v4', kind: 'file', attachments: [{ url: 'https://x/1', mime: 'text/plain', size: 1001 }] }), 'INVALID'],
      ['image message with a non-image attachment', (w, s) =>
        w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v5', kind: 'image', attachments: [{ url: 'https://x/1', mime: 'text/plain', size: 1 }] }), 'INVALID'],
      ['text message with attachments', (w, s) =>
        w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v6', kind: 'text', text: 'x', attachments: [{ url: 'https://x/1', mime: 'text/plain', size: 1 }] }), 'INVALID'],
      ['reply to a message that does not exist', (w, s) => w.chat.as(s.actor).send({ conversationId: s.conversationId, clientId: 'v7', text: 'x', replyTo: 9999 }), 'NOT_FOUND'],
      ['edit text over the limit', (w, s) => w.chat.as(s.actor).edit({ conversationId: s.conversationId, seq: s.ownSeq, text: 'y'.repeat(101) }), 'INVALID'],
      ['edit a message that does not exist', (w, s) => w.chat.as(s.actor).edit({ conversationId: s.conversationId, seq: 9999, text: 'x' }), 'NOT_FOUND'],
      ['react to a message that does not exist', (w, s) => w.chat.as(s.actor).react({ conversationId: s.conversationId, seq: 9999, emoji: '👍' }), 'NOT_FOUND'],
      ['add a user that does not exist', (w, s) => w.chat.as(s.actor).addMembers({ conversationId: s.conversationId, userIds: [w.id('ghost')] }), 'NOT_FOUND'],
      ['create a group with a user that does not exist', (w, s) => w.chat.as(s.actor).createGroup({ title: 'g', memberIds: [w.id('ghost')] }), 'NOT_FOUND'],
      ['open a direct conversation with oneself', (w, s) => w.chat.as(s.actor).openDirect({ userId: s.actor }), 'INVALID'],
      ['open a direct conversation with nobody', (w, s) => w.chat.as(s.actor).openDirect({ userId: w.id('ghost') }), 'NOT_FOUND'],
      ['remove oneself (use leave)', (w, s) => w.chat.as(s.actor).removeMember({ conversationId: s.conversationId, userId: s.actor }), 'INVALID'],
      ['update a profile with nothing', (w, s) => w.chat.as(s.actor).updateProfile({}), 'INVALID'],
      ['update a conversation with nothing', (w, s) => w.chat.as(s.actor).updateConversation({ conversationId: s.conversationId }), 'INVALID'],
      ['history with before and after', (w, s) => w.chat.as(s.actor).history({ conversationId: s.conversationId, before: 5, after: 1 }), 'INVALID'],
      ['a cursor that was not issued (inbox)', (w, s) => w.chat.as(s.actor).inbox({ cursor: 'eyJ4IjoxfQ' }), 'INVALID'],
      ['a cursor that was not issued (listMembers)', (w, s) => w.chat.as(s.actor).listMembers({ conversationId: s.conversationId, cursor: '!!' }), 'INVALID'],
      ['a cursor that was not issued (callHistory)', (w, s) => w.chat.as(s.actor).callHistory({ cursor: 'bm90IGpzb24' }), 'INVALID'],
      ['an unknown op', (w, s) => w.chat.as(s.actor).call('dropDatabase', {}), 'INVALID'],
      ['a new user without displayName', (w) => w.chat.upsertUser({ id: w.id('newbie') }), 'INVALID'],
      ['a user id with whitespace', (w) => w.chat.upsertUser({ id: 'bad id', displayName: 'x' }), 'INVALID'],
      ['a system message from a non-member', (w, s) => w.chat.systemMessage({ conversationId: s.conversationId, senderId: s.fresh, text: 'x' }), 'FORBIDDEN'],
      ['a system message with NUL', (w, s) => w.chat.systemMessage({ conversationId: s.conversationId, senderId: s.actor, text: 'a\u0000' }), 'INVALID'],
    ];

    it('inputs that break limits or reference nothing get INVALID / NOT_FOUND / FORBIDDEN and change nothing', async () => {
      const w = createWorld(store(), { limits });
      const s = await scenario(w, 'group', 'owner', false);
      const before = await snapshotOf(o, w);
      for (const [label, run, code] of semantic) {
        const got = await expectCode(run(w, s), code).catch((e: unknown) => {
          throw new Error(`${label}: ${String(e)}`, { cause: e });
        });
        expect(got.code, label).toBe(code);
        expect(await snapshotOf(o, w), `${label} changed the store`).toBe(before);
      }
      expect(() => w.chat.as('has space')).toThrow(expect.objectContaining({ code: 'INVALID' }));
    });

    it('a call with nobody else to ring is INVALID and changes nothing', async () => {
      const w = createWorld(store());
      const [a] = await w.users('a');
      const g = await w.chat.as(a!).createGroup({ title: 'alone' });
      const before = await snapshotOf(o, w);
      await expectCode(w.chat.as(a!).startCall({ conversationId: g.id, media: 'audio' }), 'INVALID');
      expect(await snapshotOf(o, w)).toBe(before);
    });
  });
}

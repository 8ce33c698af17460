/**
 * Input hardening: hostile strings in every text field, stored and returned exactly or refused
 * with INVALID, and never executed — against the in-memory store, the Postgres store on PGlite,
 * and the Postgres server when reachable. Also deep JSON and very long strings.
 */
import { createChat, isChatError, type Chat } from '@parley/core';
import { HARD_LIMITS, isWellFormed } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { acceptableText, NASTY } from '../support/nasty.js';
import { memoryStore, pgliteStore, serverStore, type StoreUnderTest } from '../support/stores.js';

const TEXT_MAX = 4096; // the engine's default maxTextLength
const SHORT = HARD_LIMITS.shortTextLength;

/** Run `op`; INVALID when `acceptable` is false, else the value (anything else fails the test). */
async function expectOutcome<T>(what: string, acceptable: boolean, op: () => Promise<T>): Promise<T | null> {
  try {
    const value = await op();
    expect(acceptable, `${what} was accepted but the protocol rules it out`).toBe(true);
    return value;
  } catch (error) {
    if (!isChatError(error)) throw error;
    expect(`${error.code}: ${error.message}`, `${what} failed`).toMatch(acceptable ? /^never$/ : /^INVALID/);
    return null;
  }
}

// long strings at and past each limit, and astral characters across the inbox preview's cut (140 UTF-16 units)
const samples = (): string[] => [...NASTY, 'y'.repeat(TEXT_MAX), 'z'.repeat(TEXT_MAX + 1), '€'.repeat(SHORT), '€'.repeat(SHORT + 1), '🙂'.repeat(64), `${'a'.repeat(139)}🙂 tail`, '👨‍👩‍👧‍👦'.repeat(30)];

/**
 * PGlite (0.5) decodes every text field with a default TextDecoder, which drops a leading U+FEFF
 * (BOM): an upstream limitation of the embedded engine, not of our SQL (the server store keeps it).
 * Everything else must come back exactly.
 */
function expectStored(sut: StoreUnderTest, actual: unknown, sent: string): void {
  if (sut.name.includes('PGlite') && sent.startsWith('\uFEFF') && actual === sent.slice(1)) {
    console.warn(`[${sut.name}] known upstream limitation: a leading U+FEFF was dropped from ${JSON.stringify(sent)}`);
    return;
  }
  expect(actual).toBe(sent);
}

async function exercise(sut: StoreUnderTest): Promise<void> {
  const tablesBefore = await sut.tables();
  const chat: Chat = createChat({ store: sut.store });
  await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
  await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
  const ana = chat.as('ana');
  const dm = await ana.openDirect({ userId: 'ben' });
  const group = await ana.createGroup({ title: 'plain', memberIds: ['ben'] });
  let users = 2;
  let conversations = 2;
  let messages = 0;
  let contacts = 0;
  let i = 0;
  for (const s of samples()) {
    i++;
    const label = JSON.stringify(s.length > 40 ? `${s.slice(0, 20)}…(${s.length})` : s);
    // message text, as sent and as edited, through every read path
    const sent = await expectOutcome(`send ${label}`, acceptableText(s, TEXT_MAX, { nonBlank: true, units: 'utf16' }), () => ana.send({ conversationId: dm.id, clientId: `t${i}`, text: s }));
    if (sent) {
      messages++;
      expectStored(sut, sent.text, s);
      const read = (await chat.as('ben').history({ conversationId: dm.id, limit: 1 })).events.at(-1);
      expectStored(sut, read?.type === 'message' ? read.message.text : null, s);
      expectStored(sut, (await chat.store.getMessage(dm.id, sent.seq))!.text, s);
      // the inbox preview is a prefix of the text, and well-formed (never half a surrogate pair)
      const preview = (await chat.as('ben').inbox({})).items.find((e) => e.conversation.id === dm.id)!.conversation.lastMessage!.text!;
      expect(isWellFormed(preview), `preview of ${label} is well-formed unicode`).toBe(true);
      expect(s.replace(/^\uFEFF/, '').startsWith(preview.replace(/^\uFEFF/, '')), `preview of ${label} is a prefix`).toBe(true);
      const edited = await expectOutcome(`edit ${label}`, acceptableText(`${s}!`, TEXT_MAX, { nonBlank: true, units: 'utf16' }), () => ana.edit({ conversationId: dm.id, seq: sent.seq, text: `${s}!` }));
      if (edited) expectStored(sut, edited.text, `${s}!`);
    }
    // the idempotency key: any acceptable string, and a retry returns the same message
    const keyed = await expectOutcome(`clientId ${label}`, acceptableText(s, HARD_LIMITS.idLength, { min: 1 }), () => ana.send({ conversationId: group.id, clientId: s, text: 'keyed' }));
    if (keyed) {
      messages++;
      expect(keyed.clientId).toBe(s);
      expect((await ana.send({ conversationId: group.id, clientId: s, text: 'keyed' })).seq).toBe(keyed.seq);
    }
    // reactions
    if (keyed) {
      const reacted = await expectOutcome(`emoji ${label}`, acceptableText(s, HARD_LIMITS.emojiLength, { min: 1 }), () => chat.as('ben').react({ conversationId: group.id, seq: keyed.seq, emoji: s }));
      if (reacted) expect(reacted.reactions[s]).toEqual(['ben']);
    }
    // profile fields and metadata (keys and values)
    const profile = await expectOutcome(`profile ${label}`, acceptableText(s, SHORT, { min: 1 }), () => chat.as('ben').updateProfile({ displayName: s, statusText: s, metadata: { [s]: s, nested: { v: [s] } } }));
    if (profile) {
      const [ben] = await chat.as('ana').getUsers({ ids: ['ben'] });
      expectStored(sut, ben!.displayName, s);
      expectStored(sut, ben!.statusText, s);
      expect(ben!.metadata).toEqual({ [s]: s, nested: { v: [s] } });
    }
    // a user id chosen by the host
    const user = await expectOutcome(`user id ${label}`, acceptableText(s, HARD_LIMITS.idLength, { min: 1, id: true }), () => chat.upsertUser({ id: s, displayName: 'someone' }));
    if (user) {
      users++;
      expect((await ana.getUsers({ ids: [s] })).map((u) => u.id)).toEqual([s]);
      const d = await ana.openDirect({ userId: s });
      conversations++;
      expect((await chat.as(s).getConversation({ conversationId: d.id })).conversation.directPair).toEqual(['ana', s].sort());
    }
    // conversation titles and contact aliases
    const g = await expectOutcome(`title ${label}`, acceptableText(s, SHORT, { min: 1 }), () => ana.createGroup({ title: s, metadata: { s } }));
    if (g) {
      conversations++;
      const got = (await ana.getConversation({ conversationId: g.id })).conversation;
      expectStored(sut, got.title, s);
      expect(got.metadata).toEqual({ s });
      const renamed = await ana.updateConversation({ conversationId: g.id, title: `${s}`, metadata: { [s]: 1 } });
      expect(renamed.metadata).toEqual({ [s]: 1 });
    }
    const alias = await expectOutcome(`alias ${label}`, acceptableText(s, SHORT), () => ana.setContact({ userId: 'ben', alias: s }));
    if (alias) {
      if (contacts === 0) contacts = 1;
      expectStored(sut, (await ana.listContacts({})).find((c) => c.userId === 'ben')!.alias, s);
    }
    // queries: matched literally (never as patterns), refused only when malformed
    const found = await expectOutcome(`searchUsers ${label}`, acceptableText(s, 100, { min: 1 }), () => ana.searchUsers({ query: s, limit: 200 }));
    const bare = (x: string) => (sut.name.includes('PGlite') ? x.replace(/^\uFEFF/, '') : x).toLowerCase(); // see expectStored
    if (found) for (const u of found) expect(bare(u.displayName), `searchUsers(${label}) returned ${u.displayName}`).toContain(bare(s));
    const channels = await expectOutcome(`listChannels ${label}`, acceptableText(s, 100), () => ana.listChannels({ query: s, limit: 200 }));
    if (channels && s.length > 0) for (const c of channels.items) expect(bare(c.title!)).toContain(bare(s));
    await expectOutcome(`search ${label}`, acceptableText(s, 200, { min: 1 }), () => ana.search({ query: s }));
  }
  // LIKE wildcards are literal: '%' and '_' match only names that contain them
  await chat.upsertUser({ id: 'plain', displayName: 'Plain Name' });
  users++;
  for (const q of ['%', '_', '%%', '\\']) {
    const hits = await ana.searchUsers({ query: q, limit: 200 });
    expect(hits.map((u) => u.id), `searchUsers(${q})`).not.toContain('plain');
  }
  await ana.createChannel({ title: 'Plain channel' });
  conversations++;
  expect((await ana.listChannels({ query: '%' })).items.map((c) => c.title)).not.toContain('Plain channel');
  // nothing was executed: the same tables, and exactly the rows the accepted operations wrote
  expect(await sut.tables()).toEqual(tablesBefore);
  const counts = await sut.rowCounts();
  if (Object.keys(counts).length > 0) {
    expect(counts.users).toBe(users);
    expect(counts.conversations).toBe(conversations);
    expect(counts.contacts).toBe(contacts);
    expect(counts.hidden).toBe(0);
    expect(counts.calls).toBe(0);
  }
  expect(messages).toBeGreaterThan(NASTY.length);
  await chat.close();
}

async function deepJson(sut: StoreUnderTest): Promise<void> {
  const chat = createChat({ store: sut.store });
  await chat.upsertUser({ id: 'deep', displayName: 'Deep' });
  const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { d: nest(depth - 1) });
  const ok = await chat.as('deep').updateProfile({ metadata: nest(HARD_LIMITS.metadataDepth) as Record<string, unknown> });
  expect(ok.metadata).toEqual(nest(HARD_LIMITS.metadataDepth));
  for (const depth of [HARD_LIMITS.metadataDepth + 1, 100, 5000]) {
    const error = await chat.as('deep').updateProfile({ metadata: nest(depth) as Record<string, unknown> }).catch((e: unknown) => e);
    expect(isChatError(error, 'INVALID'), `metadata ${depth} levels deep`).toBe(true);
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  for (const [what, metadata] of [['cyclic', cyclic], ['BigInt', { n: 10n }], ['a function', { f: () => 1 }], ['NaN', { n: Number.NaN }]] as const) {
    const error = await chat.as('deep').updateProfile({ metadata: metadata as Record<string, unknown> }).catch((e: unknown) => e);
    expect(isChatError(error, 'INVALID'), `metadata with ${what}: ${String(error)}`).toBe(true);
  }
  const tooBig = await chat.as('deep').updateProfile({ metadata: { big: 'x'.repeat(HARD_LIMITS.metadataBytes) } }).catch((e: unknown) => e);
  expect(isChatError(tooBig, 'INVALID')).toBe(true);
  expect((await chat.as('deep').me({})).metadata).toEqual(nest(HARD_LIMITS.metadataDepth));
  await chat.close();
}

const targets: Array<[string, () => Promise<StoreUnderTest | null>]> = [
  ['memory', async () => memoryStore()],
  ['postgres (PGlite)', pgliteStore],
  ['postgres (server)', () => serverStore('tests/security/input-roundtrip.test.ts on the Postgres server')],
];

describe.each(targets)('hostile input on the %s store', (_name, open) => {
  it('every text field stores and returns hostile strings exactly, or refuses them with INVALID; nothing is executed', { timeout: 120_000 }, async () => {
    const sut = await open();
    if (!sut) return; // postgresServerOrSkip printed why (and throws under CI=true)
    try {
      await exercise(sut);
    } finally {
      await sut.close();
    }
  });

  it('deep JSON: at the depth limit it round-trips; deeper or bigger is INVALID without a crash', async () => {
    const sut = await open();
    if (!sut) return;
    try {
      await deepJson(sut);
    } finally {
      await sut.close();
    }
  });
});

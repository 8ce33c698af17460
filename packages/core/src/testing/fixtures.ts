import type { ConversationEvent, Message } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from 'vitest';
import { createChat, type Chat } from '../chat.js';
import { isChatError } from '../errors.js';
import type { PermissionOptions } from '../permissions.js';
import type { ChatHooks } from '../hooks.js';
import type { Clock } from '../ids.js';
import type { Limits } from '../limits.js';
import type { PubSub } from '../pubsub.js';
import type { ChatStore, StoreCapabilities } from '../store.js';
import type { ResolvedStoreOptions } from './options.js';

/** A clock the tests move by hand. */
export interface ManualClock extends Clock {
  /** Move time forward by `ms`. */
  advance(ms: number): void;
}

/** A {@link ManualClock} starting at `start` ms. Time only moves when told to. */
export function createManualClock(start = Date.UTC(2025, 0, 1)): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

let worldCounter = 0;

/** One test's view of a store: an engine on it, a manual clock, and ids that no other test uses. */
export interface World {
  /** The store as given by `create()` (not wrapped by the engine). */
  store: ChatStore;
  chat: Chat;
  clock: ManualClock;
  /** An id unique to this world for a readable name. */
  id(name: string): string;
  /** Create users (display name = name) and return their ids, in order. */
  users(...names: string[]): Promise<string[]>;
  /** Every user id created through {@link World.users}. */
  readonly known: string[];
}

/** Options of {@link createWorld}. */
export interface WorldOptions {
  limits?: Partial<Limits>;
  hooks?: ChatHooks;
  pubsub?: PubSub;
  permissions?: PermissionOptions;
}

const openChats = new Set<Chat>();

/** Build a world on a store; its engine is closed after the test by the hooks of {@link useStore}. */
export function createWorld(store: ChatStore, options: WorldOptions = {}): World {
  const prefix = `w${(worldCounter++).toString(36)}${Math.random().toString(36).slice(2, 7)}-`;
  const clock = createManualClock();
  const chat = createChat({ store, clock, ...options });
  openChats.add(chat);
  const known: string[] = [];
  return {
    store,
    chat,
    clock,
    known,
    id: (name) => `${prefix}${name}`,
    async users(...names) {
      const ids = [];
      for (const name of names) {
        const id = `${prefix}${name}`;
        await chat.upsertUser({ id, displayName: name });
        if (!known.includes(id)) known.push(id);
        ids.push(id);
      }
      return ids;
    },
  };
}

/**
 * Register the store lifecycle hooks in the current describe block and return a getter for the
 * store of the running test. `perSuite` shares one store (never reset) across the block's tests;
 * tests then rely on world-unique ids for isolation.
 */
export function useStore(o: ResolvedStoreOptions, perSuite = false): () => ChatStore {
  let store: ChatStore | undefined;
  const release = async (s: ChatStore) => {
    await (o.close ? o.close(s) : s.close?.());
  };
  const shared = perSuite || o.reset !== undefined;
  if (shared) {
    beforeAll(async () => {
      store = await o.create();
      if (o.reset) await o.reset(store);
    });
    if (!perSuite && o.reset) {
      beforeEach(async () => {
        await o.reset!(store!);
      });
    }
    afterAll(async () => {
      if (store) await release(store);
    });
  } else {
    beforeEach(async () => {
      store = await o.create();
    });
    afterEach(async () => {
      if (store) await release(store);
      store = undefined;
    });
  }
  afterEach(async () => {
    for (const chat of openChats) await chat.close();
    openChats.clear();
  });
  return () => {
    if (!store) throw new Error('conformance kit: no store (is the test outside its suite?)');
    return store;
  };
}

/**
 * Register a suite that needs some capabilities. When the store lacks one, the suite is still
 * registered, skipped, with the reason in its name, and a line is printed.
 */
export function gatedSuite(o: ResolvedStoreOptions, title: string, needs: Partial<StoreCapabilities>, body: () => void): void {
  const missing = (Object.keys(needs) as Array<keyof StoreCapabilities>).filter((k) => o.caps[k] !== needs[k]);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const reason = `skipped: store has ${missing.map((k) => `${k}=${String(o.caps[k])}`).join(', ')}`;
  console.info(`[parley conformance] ${o.name}: ${title} — ${reason}`);
  describe.skip(`${title} — ${reason}`, body);
}

/** Code and message of the ChatError a promise rejects with; fails the test for anything else. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    if (isChatError(error)) return { code: error.code, message: error.message };
    throw new Error(`expected a ChatError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a ChatError, but the call succeeded with ${JSON.stringify(result)?.slice(0, 200)}`);
}

/** Assert that a promise rejects with a ChatError of this code. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<{ code: string; message: string }> {
  const f = await failure(promise);
  expect(f.code, f.message).toBe(code);
  return f;
}

/** The messages among events. */
export const messagesIn = (events: ConversationEvent[]): Message[] =>
  events.flatMap((e) => (e.type === 'message' ? [e.message] : []));

/** The seqs of events. */
export const seqsOf = (events: Array<{ seq: number }>): number[] => events.map((e) => e.seq);

/** `[from, from + 1, ..., to]`. */
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Every event of a conversation, read from the store directly. */
export async function allEvents(store: ChatStore, conversationId: string, timelineOnly = false): Promise<ConversationEvent[]> {
  const out: ConversationEvent[] = [];
  for (;;) {
    const after = out.length === 0 ? 0 : out[out.length - 1]!.seq;
    const page = await store.events({ conversationId, after, limit: 500, timelineOnly });
    out.push(...page);
    if (page.length < 500) return out;
  }
}

/** Yield to other pending work (timers and I/O included). */
export const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Fisher-Yates shuffle with a seeded generator (deterministic per seed). */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A JSON dump of what the store holds for the world's users, built from its public reads (the
 * fallback when the adapter gives no raw `snapshot`). Arrays the contract leaves unordered are sorted.
 */
export async function publicSnapshot(store: ChatStore, users: string[]): Promise<string> {
  const byId = <T extends { userId: string }>(rows: T[]) => [...rows].sort((a, b) => (a.userId < b.userId ? -1 : 1));
  const dump: Record<string, unknown> = {};
  const conversationIds = new Set<string>();
  for (const u of [...users].sort()) {
    const memberships = await store.changedMemberships({ userId: u, since: 0 });
    for (const r of memberships) conversationIds.add(r.conversation.id);
    dump[`user:${u}`] = {
      user: await store.getUsers([u]),
      contacts: await store.listContacts(u),
      inbox: await store.inbox({ userId: u, limit: 1000 }),
      unread: await store.unreadTotal({ userId: u, now: 0 }),
      memberships: [...memberships].sort((a, b) => (a.conversation.id < b.conversation.id ? -1 : 1)),
      calls: await store.listCalls({ userId: u, limit: 1000 }),
    };
  }
  for (const c of [...conversationIds].sort()) {
    const perUser: Record<string, unknown> = {};
    for (const u of [...users].sort()) {
      perUser[u] = { member: await store.getMember(c, u), hidden: await store.hiddenSeqs({ userId: u, conversationId: c }) };
    }
    dump[`conversation:${c}`] = {
      conversation: await store.getConversation(c),
      events: await allEvents(store, c),
      members: await store.listMembers({ conversationId: c, limit: 10_000 }),
      memberIds: [...(await store.memberIds(c))].sort(),
      receipts: byId(await store.receipts(c)),
      activeCall: await store.activeCall(c),
      perUser,
    };
  }
  dump.channels = await store.listChannels({ limit: 1000 });
  return JSON.stringify(dump);
}

/** The raw snapshot (when the adapter gives one) and the public one, as one comparable string. */
export async function snapshotOf(o: ResolvedStoreOptions, w: World): Promise<string> {
  const raw = o.snapshot ? JSON.stringify(await o.snapshot(w.store)) : '';
  return `${raw}\n${await publicSnapshot(w.store, w.known)}`;
}

import type { PubSub } from '../pubsub.js';
import { DEFAULT_CAPABILITIES, type ChatStore, type StoreCapabilities } from '../store.js';

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions {
  /** Shown in every suite title, e.g. `'postgres (pglite)'`. */
  name: string;
  /**
   * A store to test. Without `reset` it is called before every test and MUST return a store with
   * no data; with `reset` it is called once per suite and `reset` empties it between tests.
   */
  create: () => ChatStore | Promise<ChatStore>;
  /** Delete every row the store holds (for stores that are expensive to create). */
  reset?: (store: ChatStore) => void | Promise<void>;
  /** Release a store made by `create`. Default: `store.close?.()`. */
  close?: (store: ChatStore) => void | Promise<void>;
  /** Overrides of the flags the store declares in `store.capabilities`. */
  capabilities?: Partial<StoreCapabilities>;
  /**
   * Raw read-back: a JSON-able dump of everything the store holds, read from the database itself
   * (all tables / collections, in a stable order). The validation suite checks that rejected input
   * leaves it unchanged. Without it the kit compares a dump built from the store's public reads.
   */
  snapshot?: (store: ChatStore) => unknown | Promise<unknown>;
  /** Multiplier for the number of property-based runs (default 1; raise it for soak runs). */
  propertyRunsFactor?: number;
}

/** Options of {@link runPubSubConformance}. */
export interface PubSubConformanceOptions {
  /** Shown in the suite title. */
  name: string;
  /**
   * A bus instance. Called twice per test: the two instances MUST behave like two processes
   * sharing the same broker (two connections), so a message published on one reaches the other.
   */
  create: () => PubSub | Promise<PubSub>;
  /** Release an instance. Default: `bus.close?.()`. */
  close?: (bus: PubSub) => void | Promise<void>;
}

/** The options with every default filled in. Internal to the kit. */
export interface ResolvedStoreOptions extends StoreConformanceOptions {
  caps: StoreCapabilities;
  runs: (base: number) => number;
}

/**
 * The store's capabilities: its own flags, then the override, then the defaults. Runs while vitest
 * collects the suites (it decides which ones are registered as skipped), so it calls `create()`
 * once, unless `options.capabilities` already sets every flag.
 */
export async function resolveCapabilities(options: StoreConformanceOptions): Promise<StoreCapabilities> {
  const keys = Object.keys(DEFAULT_CAPABILITIES) as Array<keyof StoreCapabilities>;
  const given = options.capabilities ?? {};
  if (keys.every((k) => given[k] !== undefined)) return { ...DEFAULT_CAPABILITIES, ...given };
  const store = await options.create();
  try {
    return { ...DEFAULT_CAPABILITIES, ...store.capabilities, ...options.capabilities };
  } finally {
    await (options.close ? options.close(store) : store.close?.());
  }
}

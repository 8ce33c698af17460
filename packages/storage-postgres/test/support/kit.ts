/** The conformance kit's entry points this package uses. */
export interface ConformanceKit {
  runStoreConformance(options: {
    name: string;
    create: () => unknown;
    reset?: (store: never) => unknown;
    close?: (store: never) => unknown;
    snapshot?: (store: never) => unknown;
  }): unknown;
  runPubSubConformance(options: { name: string; create: () => unknown; close?: (bus: never) => unknown }): unknown;
}

/**
 * `@parley/core/testing` when it exists (another package owns it and may not have shipped it
 * yet). Returns null, with a visible line, when it cannot be loaded.
 */
export async function loadConformanceKit(): Promise<ConformanceKit | null> {
  const specifier = '@parley/core/testing';
  try {
    return (await import(/* @vite-ignore */ specifier)) as ConformanceKit;
  } catch (error) {
    console.warn(`[storage-postgres] conformance kit not loaded: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

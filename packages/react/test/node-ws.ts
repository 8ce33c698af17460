import { createRequire } from 'node:module';

/** Node's own `ws` module (its `require` entry), whatever conditions the test environment resolves with. */
export function nodeWs(): Record<string, unknown> {
  const ws = createRequire(import.meta.url)('ws') as Record<string, unknown>;
  return { ...ws, default: ws, WebSocket: ws };
}

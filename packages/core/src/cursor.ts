import { ChatError } from './errors.js';

/** Encode a keyset position as an opaque cursor. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Decode a cursor made by {@link encodeCursor}; `check` validates its shape. Bad cursors are `INVALID`. */
export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ChatError('INVALID', 'invalid cursor');
  }
  if (!check(value)) throw new ChatError('INVALID', 'invalid cursor');
  return value;
}

/** Type guard builder for plain objects whose fields have the given `typeof`s. */
export function shape<T>(fields: Record<keyof T & string, 'string' | 'number'>): (value: unknown) => value is T {
  return (value): value is T =>
    typeof value === 'object' &&
    value !== null &&
    Object.entries(fields).every(([k, t]) => typeof (value as Record<string, unknown>)[k] === t);
}

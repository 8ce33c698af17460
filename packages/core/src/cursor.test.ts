import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, shape } from './cursor.js';
import { isChatError } from './errors.js';

const isPos = shape<{ a: number; c: string }>({ a: 'number', c: 'string' });

describe('cursors', () => {
  it('round-trip a keyset position', () => {
    const cursor = encodeCursor({ a: 42, c: 'conv-ü' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, isPos)).toEqual({ a: 42, c: 'conv-ü' });
  });

  it.each([
    ['not base64 json', '%%%'],
    ['json of the wrong shape', encodeCursor({ a: 'x', c: 1 })],
    ['json null', encodeCursor(null)],
    ['a field missing', encodeCursor({ a: 1 })],
    ['empty', ''],
  ])('a bad cursor (%s) is INVALID', (_label, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor, isPos);
    } catch (e) {
      error = e;
    }
    expect(isChatError(error, 'INVALID')).toBe(true);
  });
});

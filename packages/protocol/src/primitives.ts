import { z } from 'zod';
import { HARD_LIMITS } from './constants.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when a string has no lone surrogate (it can be encoded as UTF-8 and read back unchanged). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** A string that round-trips through every store: well-formed UTF-16 and no NUL character. */
export const safeString = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => isWellFormed(s), { message: 'must be well-formed unicode (no lone surrogates)' })
    .refine((s) => !s.includes('\u0000'), { message: 'must not contain NUL characters' });

/** An identifier chosen by the host app (users) or by Parley (conversations, calls). */
export const Id = safeString(HARD_LIMITS.idLength)
  .min(1)
  .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), { message: 'must not contain whitespace or control characters' });
export type Id = z.infer<typeof Id>;

/** Milliseconds since the Unix epoch. */
export const Timestamp = z.number().int().nonnegative();
export type Timestamp = z.infer<typeof Timestamp>;

/** A conversation sequence number: 1 for the first event of a conversation. */
export const Seq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export type Seq = z.infer<typeof Seq>;

/** A URL as given by the host app (http(s), data: thumbnails are not allowed). */
export const Url = safeString(HARD_LIMITS.urlLength).refine((s) => /^(https?:\/\/|\/)/i.test(s), {
  message: 'must be an http(s) URL or an absolute path',
});

function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > HARD_LIMITS.metadataDepth + 1) return d;
    if (v !== null && typeof v === 'object') {
      for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
    }
  }
  return max;
}

function isJsonValue(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (typeof v === 'string') {
      if (!isWellFormed(v) || v.includes('\u0000')) return false;
      continue;
    }
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        if (!isWellFormed(k) || k.includes('\u0000')) return false;
        stack.push(child);
      }
      continue;
    }
    return false;
  }
  return true;
}

/**
 * Free-form JSON object owned by the host app; bounded in size and depth. Each check stops the
 * later ones (`abort`): the size check serialises recursively, so a value thousands of levels
 * deep (a RangeError), cyclic or holding a BigInt must be refused before it gets there.
 */
export const Metadata = z
  .record(z.string(), z.unknown())
  .refine((v) => depthOf(v) <= HARD_LIMITS.metadataDepth, { message: `must be at most ${HARD_LIMITS.metadataDepth} levels deep`, abort: true })
  .refine(isJsonValue, { message: 'must be plain JSON (finite numbers, well-formed strings)', abort: true })
  .refine((v) => JSON.stringify(v).length <= HARD_LIMITS.metadataBytes, {
    message: `must serialise to at most ${HARD_LIMITS.metadataBytes} bytes`,
  });
export type Metadata = Record<string, unknown>;

/** Opaque pagination cursor returned by the server. */
export const Cursor = safeString(512).min(1);
export type Cursor = z.infer<typeof Cursor>;

/** Page size for list operations. */
export const Limit = z.number().int().min(1).max(HARD_LIMITS.pageSize);

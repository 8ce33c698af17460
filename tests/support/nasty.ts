import { isWellFormed } from '@parley/protocol';

/**
 * Strings that break naive code: SQL and NoSQL injection, LIKE wildcards, escapes, markup, and
 * unicode edge cases (bidi controls, zero-width characters, emoji ZWJ sequences, combining marks,
 * astral characters, lone surrogates, NUL). Each must be stored and returned exactly, or refused
 * with INVALID when the protocol rules it out.
 */
export const NASTY: readonly string[] = [
  "'; DROP TABLE users; --",
  "Robert'); DROP TABLE events;--",
  "' OR '1'='1",
  '" OR ""="',
  '1; SELECT pg_sleep(10)',
  "'||(select version())||'",
  '$1',
  '$$; drop table members; $$',
  "E'\\x27'",
  '{"$gt": ""}',
  '{"$where": "sleep(1000)"}',
  '$where',
  '{"$ne":null}',
  'a.b.$c',
  '\\',
  '\\\\',
  "\\'",
  '\\"',
  '\\u0000',
  'C:\\temp\\new',
  '%',
  '_',
  '%_%',
  '100% _sure_',
  '\\%',
  '<script>alert(1)</script>',
  '${process.exit(1)}',
  '%s%n%x',
  '../../etc/passwd',
  '\u202Eevil.exe\u202C',
  'abc \u200F שלום עולם \u200E def',
  'مرحبا بالعالم',
  'a\u200Bb\u200Cc\u200Dd\u2060e',
  '\uFEFFbom',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈 🇺🇦 👍🏽',
  'e\u0301 n\u0303 a\u030A',
  'Z\u0337\u0322\u031Ba\u0335l\u0336g\u0334o\u0338',
  'x' + '\u0301'.repeat(200),
  '𝕳𝖊𝖑𝖑𝖔 𠜎',
  'line\r\nbreak\ttab',
  '\u0001\u001f\u007f',
  'null',
  'undefined',
  '{"__proto__":{"polluted":true}}',
  ' leading and trailing ',
  // refused by the protocol
  '\uD800',
  'a\uDC00b',
  'nul\u0000byte',
];

/**
 * Whether the protocol accepts `s` as a free-text field of at most `max` characters. The schemas
 * (zod 4) count code points; the engine's own limits (`maxTextLength`) count UTF-16 units: say
 * which with `units`.
 */
export function acceptableText(s: string, max: number, options: { min?: number; nonBlank?: boolean; id?: boolean; units?: 'codepoints' | 'utf16' } = {}): boolean {
  if (!isWellFormed(s) || s.includes('\u0000')) return false;
  const length = options.units === 'utf16' ? s.length : [...s].length;
  if (length > max || length < (options.min ?? 0)) return false;
  if (options.nonBlank && s.trim().length === 0) return false;
  if (options.id && /[\s\u0000-\u001f\u007f]/.test(s)) return false;
  return true;
}

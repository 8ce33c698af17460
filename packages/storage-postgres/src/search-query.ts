/**
 * Turn what a user typed into a `to_tsquery('simple', ...)` string: every word must match, the
 * last one also as a prefix (search as you type). Only letters, digits and underscores survive, so
 * the result cannot carry tsquery operators. Returns null when no word is left.
 */
export function toTsQuery(input: string): string | null {
  const words = input.toLowerCase().match(/[\p{L}\p{N}_]+/gu);
  if (!words || words.length === 0) return null;
  return words.map((w, i) => (i === words.length - 1 ? `'${w}':*` : `'${w}'`)).join(' & ');
}

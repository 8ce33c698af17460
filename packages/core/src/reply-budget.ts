/**
 * The size bound of list replies. Every list handler passes the items it read through
 * {@link withinBudget} and builds its cursor from the last item kept, so one reply never grows
 * with what other users put into the reader's conversations (big metadata, many memberships).
 */

const utf8 = new TextEncoder();

/** Bytes of a value's JSON (what the wire carries for it, give or take the separators). */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value) ?? '').length;
}

/**
 * The longest prefix of `items` (or suffix, with `from: 'end'`) whose JSON fits in `maxBytes`
 * after `reservedBytes` already spent on the rest of the reply. Always keeps at least one item
 * when there is one, so paging always advances. `cut` is true when items were left out.
 */
export function withinBudget<T>(
  items: readonly T[],
  maxBytes: number,
  options: { reservedBytes?: number; from?: 'start' | 'end' } = {},
): { items: T[]; cut: boolean } {
  const fromEnd = options.from === 'end';
  let used = options.reservedBytes ?? 0;
  let kept = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[fromEnd ? items.length - 1 - i : i];
    used += jsonBytes(item) + 1;
    if (kept > 0 && used > maxBytes) break;
    kept += 1;
  }
  const out = fromEnd ? items.slice(items.length - kept) : items.slice(0, kept);
  return { items: out, cut: kept < items.length };
}

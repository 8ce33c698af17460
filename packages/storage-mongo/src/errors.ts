/**
 * True when a driver error reports a duplicate key (MongoDB code 11000, or 11001 on old servers),
 * including inside the `writeErrors` of a bulk write. Servers that speak the wire protocol but use
 * other codes are recognised by the `E11000` / "duplicate key" message.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; codeName?: unknown; message?: unknown; writeErrors?: unknown };
  if (e.code === 11000 || e.code === 11001 || e.codeName === 'DuplicateKey') return true;
  if (Array.isArray(e.writeErrors) && e.writeErrors.some((w) => isDuplicateKeyError(w))) return true;
  return typeof e.message === 'string' && /E11000|duplicate key/i.test(e.message);
}

/** Longest display name accepted at sign-in. */
export const MAX_NAME = 40;

/**
 * The user id for a display name (DEVELOPMENT-ONLY sign-in): the name folded to lower case, runs
 * of other characters as `-`. Null when nothing usable is left or the name is too long. Shared by
 * the server (sign-in) and the page (starting a chat by name).
 */
export function userIdFor(name: string): string | null {
  const id = name.normalize('NFKC').trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return id && name.trim().length <= MAX_NAME ? id : null;
}

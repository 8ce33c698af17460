/**
 * DEVELOPMENT-ONLY AUTHENTICATION.
 *
 * Anyone can sign in as anyone by typing a display name: there is no password and no proof of
 * identity. This exists so the demo runs without an identity provider. A real host app
 * authenticates users itself (sessions, OAuth, SSO, …) and gives Parley a verified user id in the
 * transport's `authenticate` hook. Do not deploy this.
 *
 * What it does do properly: the token is signed (HMAC-SHA256 with a random secret generated once
 * and kept in the data directory), carries an expiry, is compared in constant time, and is only
 * ever sent in a header or in the WebSocket's first frame, never in a URL.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isWellFormed } from '@parley/protocol';

/** The verified content of a dev token. */
export interface DevTokenClaims {
  /** User id. */
  sub: string;
  /** Issued at, ms since epoch. */
  iat: number;
  /** Expires at, ms since epoch. */
  exp: number;
}

/** Signs and verifies dev tokens. */
export interface DevAuth {
  /** A signed token for a user id, valid for `ttlMs`. */
  issue(userId: string): string;
  /** The user id of a valid token, or null (bad signature, malformed, expired). */
  verify(token: string): string | null;
}

/** Default token lifetime: 30 days. */
export const DEV_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

/** Longest display name accepted at sign-in. */
export const MAX_DISPLAY_NAME = 40;

/**
 * Read the HMAC secret from `file`, creating it (32 random bytes, mode 0600) on first use.
 * Keeping it in the data directory means tokens survive a restart and die with a data reset.
 */
export async function loadOrCreateSecret(file: string): Promise<Buffer> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  return secret;
}

/** Create the signer/verifier over a secret. `now` is injectable for tests. */
export function createDevAuth(secret: Uint8Array, options: { ttlMs?: number; now?: () => number } = {}): DevAuth {
  const ttl = options.ttlMs ?? DEV_TOKEN_TTL_MS;
  const now = options.now ?? Date.now;
  const sign = (payload: string) => createHmac('sha256', secret).update(`parley-dev.${payload}`).digest();
  return {
    issue(userId) {
      const iat = now();
      const claims: DevTokenClaims = { sub: userId, iat, exp: iat + ttl };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${payload}.${sign(payload).toString('base64url')}`;
    },
    verify(token) {
      if (typeof token !== 'string' || token.length > 2048) return null;
      const [payload, mac, extra] = token.split('.');
      if (!payload || !mac || extra !== undefined) return null;
      const expected = sign(payload);
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<DevTokenClaims>;
        if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || claims.exp < now()) return null;
        return claims.sub;
      } catch {
        return null;
      }
    },
  };
}

/** Trim, collapse whitespace, and drop control characters; null when nothing usable remains. */
export function normalizeDisplayName(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const name = input.replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028-\u202e]/g, '').replace(/\s+/g, ' ').trim();
  if (name.length === 0 || name.length > MAX_DISPLAY_NAME) return null;
  return isWellFormed(name) ? name : null;
}

/**
 * The user id for a display name: a readable slug plus a short hash of the case-folded name, so
 * "Ana", "ana" and " ANA " are the same user and every name maps to a valid id.
 */
export function userIdForName(displayName: string): string {
  const folded = displayName.normalize('NFKC').toLowerCase();
  const slug = folded
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24);
  const hash = createHash('sha256').update(folded).digest('hex').slice(0, 8);
  return `dev-${slug ? `${slug}-` : ''}${hash}`;
}

/** The bearer token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}

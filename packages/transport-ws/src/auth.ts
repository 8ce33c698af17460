import type { IncomingMessage } from 'node:http';
import { SUBPROTOCOL } from '@parley/protocol';
import type { AuthenticateHook } from './options.js';

/** Prefix of the optional subprotocol entry carrying a token: `parley.token.<base64url(token)>`. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'parley.token.';

const URL_TOKEN_PARAMS = ['token', 'access_token', 'auth_token', 'jwt', 'auth'];

/** The subprotocols offered by the client, in order. */
export function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Whether the client offered `parley.v1`. */
export function offersParley(protocols: readonly string[]): boolean {
  return protocols.includes(SUBPROTOCOL);
}

/** The token carried as a `parley.token.*` subprotocol, if any and well-formed. */
export function tokenFromProtocols(protocols: readonly string[]): string | undefined {
  const entry = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
  if (!entry) return undefined;
  const encoded = entry.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{1,11000}$/.test(encoded)) return undefined;
  const token = Buffer.from(encoded, 'base64url').toString('utf8');
  return token.length > 0 && token.length <= 8192 ? token : undefined;
}

/** True when the URL's query string looks like it carries a credential (refused: URLs end up in logs). */
export function urlCarriesToken(url: URL): boolean {
  return URL_TOKEN_PARAMS.some((name) => url.searchParams.has(name));
}

/** Run the host's hook; any failure or malformed answer is a refusal (null). */
export async function runAuthenticate(
  hook: AuthenticateHook,
  input: { request: IncomingMessage; token?: string },
): Promise<{ userId: string } | { userId: null; error?: unknown }> {
  try {
    const out = await hook(input);
    const userId = typeof out === 'string' ? out : out && typeof out === 'object' ? out.userId : null;
    if (typeof userId === 'string' && userId.length > 0 && userId.length <= 128) return { userId };
    return { userId: null };
  } catch (error) {
    return { userId: null, error };
  }
}

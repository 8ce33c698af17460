import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tokens every node of the cluster accepts: `<userId>.<hmac>` signed with a secret the nodes share
 * (`PARLEY_CLUSTER_SECRET`). Any node can verify a token, which is what lets a client reconnect to
 * another node after the one it was on died. A real deployment uses its own sessions or JWTs.
 */
export function signToken(secret: string, userId: string): string {
  return `${userId}.${mac(secret, userId)}`;
}

/** The user id of a valid token, else null. */
export function verifyToken(secret: string, token: string): string | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const userId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(secret, userId));
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null;
}

function mac(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId).digest('base64url');
}

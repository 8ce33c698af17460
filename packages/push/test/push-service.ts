import { execFileSync } from 'node:child_process';
import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One request the push service got. */
export interface PushRequest {
  subscriptionId: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/**
 * A local push service (RFC 8030) over HTTPS with a certificate made for this test (openssl), so
 * nothing leaves the machine. Endpoints are `<url>/push/<id>`; `gone` ids answer 410.
 */
export async function startPushService() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-push-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  rmSync(dir, { recursive: true, force: true });
  const requests: PushRequest[] = [];
  const gone = new Set<string>();
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const subscriptionId = (req.url ?? '').replace(/^\/push\//, '');
      requests.push({ subscriptionId, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(gone.has(subscriptionId) ? 410 : 201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    gone,
    /** An agent that trusts only this service's certificate (web-push's `agent` option). */
    agent: new Agent({ ca: cert }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A browser's side of a subscription: its keys, the subscription JSON, and RFC 8291 decryption. */
export function browserSubscription(serviceUrl: string, id: string) {
  const ua = createECDH('prime256v1');
  ua.generateKeys();
  const auth = randomBytes(16);
  const subscription = { endpoint: `${serviceUrl}/push/${id}`, keys: { p256dh: ua.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
  return {
    token: JSON.stringify(subscription),
    /** Decrypt an `aes128gcm` body (RFC 8188 header, RFC 8291 key derivation), one record. */
    decrypt(body: Buffer): string {
      const salt = body.subarray(0, 16);
      const idlen = body[20]!;
      const asPublic = body.subarray(21, 21 + idlen);
      const ciphertext = body.subarray(21 + idlen);
      const prkKey = hmac(auth, ua.computeSecret(asPublic));
      const ikm = hmac(prkKey, Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic, Buffer.from([1])]));
      const prk = hmac(salt, ikm);
      const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'latin1')).subarray(0, 16);
      const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'latin1')).subarray(0, 12);
      const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
      const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      if (plain[end] !== 2) throw new Error('no padding delimiter: not the last record');
      return plain.subarray(0, end).toString('utf8');
    },
  };
}

/**
 * Check the VAPID `Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292): the key is ours, the
 * JWT is ES256-signed by it, its audience is the push service's origin and it has not expired.
 */
export function vapidClaims(header: string | undefined, publicKey: string, audience: string): { aud: string; sub: string; exp: number } {
  const m = /^vapid t=([^,]+),\s*k=(.+)$/.exec(header ?? '');
  if (!m) throw new Error(`not a VAPID header: ${header}`);
  if (m[2] !== publicKey) throw new Error('another VAPID key');
  const [h, p, s] = m[1]!.split('.') as [string, string, string];
  const raw = Buffer.from(publicKey, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') }, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) throw new Error('bad JWT signature');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { aud: string; sub: string; exp: number };
  if (claims.aud !== audience) throw new Error(`JWT audience ${claims.aud}, expected ${audience}`);
  if (claims.exp * 1000 < Date.now()) throw new Error('JWT expired');
  return claims;
}

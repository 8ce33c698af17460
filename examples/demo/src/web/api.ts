/** The demo server's HTTP endpoints, seen from the page. */
import type { Attachment, User } from '@parley/protocol';

/** A signed-in session as kept in localStorage (never in the URL). */
export interface Session {
  token: string;
  user: User;
}

const KEY = 'parley.demo.session';

/** The stored session, if any. */
export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.token === 'string' && s.user && typeof s.user.id === 'string' ? (s as Session) : null;
  } catch {
    return null;
  }
}

/** Remember or forget the session. */
export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    /* not JSON */
  }
  return `${res.status} ${res.statusText}`;
}

/** DEVELOPMENT-ONLY sign-in: the server trusts the name (see src/dev-auth.ts). */
export async function devLogin(displayName: string): Promise<Session> {
  const res = await fetch('/api/dev-login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ displayName }),
  });
  if (!res.ok) throw new Error(await errorMessage(res));
  const body = (await res.json()) as { token: string; user: User };
  return { token: body.token, user: body.user };
}

/** Read an image's natural size in the browser (fallback when the server could not). */
function imageSize(file: File): Promise<{ width: number; height: number } | null> {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      resolve({ width: img.naturalWidth, height: img.naturalHeight });
      URL.revokeObjectURL(url);
    };
    img.onerror = () => {
      resolve(null);
      URL.revokeObjectURL(url);
    };
    img.src = url;
  });
}

/** Upload a file; the token goes in the Authorization header. Throws with the server's message (413, 415, …). */
export async function uploadFile(token: string, file: File): Promise<Attachment> {
  const res = await fetch('/api/upload', {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': file.type || 'application/octet-stream',
      'X-File-Name': encodeURIComponent(file.name),
    },
    body: file,
  });
  if (!res.ok) throw new Error(await errorMessage(res));
  const { attachment } = (await res.json()) as { attachment: Attachment };
  if (attachment.mime.startsWith('image/') && !attachment.width) {
    const size = await imageSize(file);
    if (size) return { ...attachment, ...size };
  }
  return attachment;
}

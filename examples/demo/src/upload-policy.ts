/** What uploads the demo accepts, and checks of the bytes against the declared type. */
import { isWellFormed } from '@parley/protocol';

/** Largest upload in bytes: 10 MiB. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Accepted MIME types. SVG and HTML are left out on purpose: a browser runs scripts in them when
 * opened directly. Everything that is not an image is served as a download.
 */
export const ALLOWED_MIME_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
  'application/zip',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'audio/webm',
  'audio/mp4',
  'video/mp4',
  'video/webm',
  'video/quicktime',
]);

/** Image types the browser may show inline. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** The bare MIME type of a Content-Type header (parameters dropped, lower-cased). */
export function baseMime(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, at: number, s: string) => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/** Whether the bytes look like the declared image type (images only; other types pass). */
export function matchesDeclaredType(mime: string, b: Uint8Array): boolean {
  switch (mime) {
    case 'image/png':
      return startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'image/jpeg':
      return startsWith(b, [0xff, 0xd8, 0xff]);
    case 'image/gif':
      return ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a');
    case 'image/webp':
      return ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP');
    case 'application/pdf':
      return ascii(b, 0, '%PDF-');
    default:
      return true;
  }
}

/** Width and height of a PNG, GIF, JPEG or WebP image from its header, when they can be read. */
export function imageDimensions(mime: string, b: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ok = (w: number, h: number) => (w > 0 && h > 0 ? { width: w, height: h } : null);
  try {
    if (mime === 'image/png' && b.length >= 24) return ok(view.getUint32(16), view.getUint32(20));
    if (mime === 'image/gif' && b.length >= 10) return ok(view.getUint16(6, true), view.getUint16(8, true));
    if (mime === 'image/webp' && b.length >= 30) {
      if (ascii(b, 12, 'VP8X')) return ok(1 + (view.getUint32(24, true) & 0xffffff), 1 + (view.getUint32(27, true) & 0xffffff));
      if (ascii(b, 12, 'VP8 ')) return ok(view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
      if (ascii(b, 12, 'VP8L')) {
        const bits = view.getUint32(21, true);
        return ok((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
      }
    }
    if (mime === 'image/jpeg') {
      let i = 2;
      while (i + 8 < b.length) {
        if (b[i] !== 0xff) return null;
        const marker = b[i + 1]!;
        const len = view.getUint16(i + 2);
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return ok(view.getUint16(i + 7), view.getUint16(i + 5));
        }
        i += 2 + len;
      }
    }
  } catch {
    return null;
  }
  return null;
}

/** A file name safe to show and to put in a Content-Disposition header. */
export function cleanFileName(raw: string | undefined, fallback: string): string {
  let name = raw ?? '';
  try {
    name = decodeURIComponent(name);
  } catch {
    /* keep as is */
  }
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f/\\"]/g, '_').trim();
  // Cut by code points so an emoji is never split, then refuse anything still malformed.
  name = [...name].slice(0, 120).join('');
  return name.length > 0 && isWellFormed(name) ? name : fallback;
}

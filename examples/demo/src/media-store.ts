import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What {@link MediaStore.put} receives: one complete file. */
export interface MediaInput {
  /** The original file name as given by the uploader (display only; never used as a path). */
  name: string;
  /** The MIME type, already checked against the allowlist by the caller. */
  mime: string;
  /** The file's content. */
  bytes: Uint8Array;
}

/** What {@link MediaStore.put} returns: enough to build an attachment. */
export interface StoredMedia {
  /** Opaque, unguessable id of the stored file. */
  id: string;
  /** Absolute URL path the file is served from (e.g. `/media/<id>`). */
  url: string;
  /** Size in bytes. */
  size: number;
  /** MIME type as stored (what `get` returns and the server sends as Content-Type). */
  mime: string;
  /** Original name, for `Content-Disposition` and display. */
  name: string;
}

/** A stored file as read back. */
export interface MediaObject {
  bytes: Uint8Array;
  mime: string;
  name: string;
  size: number;
}

/**
 * Where uploaded attachment bytes live. Parley itself never stores file bytes: messages carry
 * attachment metadata (url, mime, size, …) and the bytes live behind this interface.
 *
 * Contract:
 * - `put` stores the bytes and returns an id that is unguessable (at least 128 random bits), so the
 *   URL can be used as a capability in `<img src>` without a cookie. The returned `url` is an
 *   absolute path served by the host app. `put` never overwrites an earlier file.
 * - `get` returns the bytes and the mime given to `put`, or `null` for an unknown or malformed id
 *   (it never throws for bad input and never reads outside its storage).
 * - Size and type limits are the caller's job (the upload endpoint enforces them before `put`).
 *
 * Replace the local-disk implementation with S3, GCS, … by implementing these two methods.
 */
export interface MediaStore {
  put(input: MediaInput): Promise<StoredMedia>;
  get(id: string): Promise<MediaObject | null>;
}

/** Options of {@link createDiskMediaStore}. */
export interface DiskMediaStoreOptions {
  /** Directory holding the files (created when missing). */
  dir: string;
  /** URL path prefix the files are served under. Default `/media/`. */
  urlPrefix?: string;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** Whether a string has the shape of an id produced by {@link createDiskMediaStore}. */
export function isMediaId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * A {@link MediaStore} on the local disk: each file is `<dir>/<id>` with a `<dir>/<id>.json`
 * sidecar holding its mime, name and size. Writes go to a temporary name first and are renamed
 * into place, so a crash never leaves a half-written file under a valid id.
 */
export function createDiskMediaStore(options: DiskMediaStoreOptions): MediaStore {
  const { dir } = options;
  const prefix = options.urlPrefix ?? '/media/';
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => (ready ??= mkdir(dir, { recursive: true }));

  return {
    async put({ name, mime, bytes }) {
      await ensureDir();
      const id = randomBytes(18).toString('base64url');
      const meta = { mime, name, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
      const tmp = join(dir, `.${id}.tmp`);
      await writeFile(tmp, bytes, { flag: 'wx' });
      await writeFile(join(dir, `${id}.json`), JSON.stringify(meta), { flag: 'wx' });
      await rename(tmp, join(dir, id));
      return { id, url: `${prefix}${id}`, size: bytes.byteLength, mime, name };
    },
    async get(id) {
      if (!isMediaId(id)) return null;
      try {
        const meta = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as { mime: string; name: string; size: number };
        const bytes = await readFile(join(dir, id));
        return { bytes, mime: meta.mime, name: meta.name, size: bytes.byteLength };
      } catch {
        return null;
      }
    },
  };
}

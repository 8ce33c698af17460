import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The page's script and stylesheet, and the service worker, built in memory. */
export interface WebAssets {
  js: Uint8Array;
  /** The service worker (`/sw.js`): shows push notifications. */
  sw: Uint8Array;
  css: Uint8Array;
  /** A short hash of both, for cache busting in the HTML. */
  version: string;
}

const webDir = fileURLToPath(new URL('./web/', import.meta.url));

/**
 * Bundle `src/web/main.ts` (and `@parley/client` from source) and the service worker
 * `src/web/sw.ts` with esbuild into memory, and read
 * `src/web/styles.css`. No build step and nothing written to disk.
 */
export async function buildWebAssets(options: { minify?: boolean } = {}): Promise<WebAssets> {
  const result = await build({
    entryPoints: { main: `${webDir}main.ts`, sw: `${webDir}sw.ts` },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    conditions: ['@parley/source'],
    // The client SDK only loads `ws` in Node; the browser has its own WebSocket.
    external: ['ws'],
    minify: options.minify ?? false,
    sourcemap: 'inline',
    legalComments: 'none',
    logLevel: 'silent',
    outdir: 'out',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('/main.js'));
  const sw = result.outputFiles.find((f) => f.path.endsWith('/sw.js'));
  if (!js || !sw) throw new Error('esbuild produced no JavaScript');
  const css = await readFile(`${webDir}styles.css`);
  const version = createHash('sha256').update(js.contents).update(css).digest('hex').slice(0, 10);
  return { js: js.contents, sw: sw.contents, css, version };
}

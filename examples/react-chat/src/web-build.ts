import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';

/** The built app: every file Vite emitted (index.html, hashed scripts and styles) by URL path. */
export type WebAssets = ReadonlyMap<string, { body: Uint8Array; type: string }>;

const webDir = fileURLToPath(new URL('./web/', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/**
 * Build `src/web` (React, `@parley/react` and `@parley/client` from source) with Vite's JS API
 * into memory: nothing is written to disk and there is no separate build step.
 */
export async function buildWebApp(options: { minify?: boolean } = {}): Promise<WebAssets> {
  const result = await build({
    root: webDir,
    configFile: false,
    logLevel: 'silent',
    mode: 'production',
    resolve: { conditions: ['@parley/source', 'module', 'browser', 'production'] },
    oxc: { jsx: { runtime: 'automatic' } },
    build: { write: false, minify: options.minify ?? true, sourcemap: false, target: 'es2022', reportCompressedSize: false },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const assets = new Map<string, { body: Uint8Array; type: string }>();
  for (const file of outputs.flatMap((o) => o.output)) {
    const body = file.type === 'chunk' ? file.code : file.source;
    const ext = /\.[a-z]+$/.exec(file.fileName)?.[0] ?? '';
    assets.set(`/${file.fileName}`, { body: typeof body === 'string' ? new TextEncoder().encode(body) : body, type: TYPES[ext] ?? 'application/octet-stream' });
  }
  if (!assets.has('/index.html')) throw new Error('vite produced no index.html');
  return assets;
}

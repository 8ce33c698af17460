import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSize } from '../client/section.js';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';

const require = createRequire(import.meta.url);

/** One bundle to measure: an entry module's text, resolved from the directory `from`. */
interface Entry {
  name: string;
  contents: string;
  from: string;
  /** Left out of the bundle (peers the app has anyway). */
  external?: string[];
}

/** Whether `@parley/client` declares the `./offline` subpath export (the offline cache). */
function hasOfflineExport(): boolean {
  const pkg = require('@parley/client/package.json') as { exports?: Record<string, unknown> };
  return pkg.exports?.['./offline'] !== undefined;
}

/** Every entry resolves from here, through the workspace's node_modules (as an app would). */
const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Bundle sizes (issue 18): `@parley/client` with and without its offline cache, `@parley/react`,
 * `socket.io-client` and stream-chat's browser client, each bundled whole by esbuild for the
 * browser, minified, then gzip -9 and brotli 11 — the same way for every row. React is left out
 * of `@parley/react` (a peer the app already ships); the ratio column divides each row's gzip
 * size by `@parley/client`'s.
 */
export async function bundlesSection(log: (line: string) => void = () => {}): Promise<SectionResult> {
  const started = Date.now();
  const out = section('bundles', 'Bundle sizes: client, offline cache, React bindings, competitors');
  const entries: Entry[] = [{ name: '@parley/client', contents: `export * from '@parley/client';`, from: here }];
  if (hasOfflineExport()) {
    entries.push({ name: '@parley/client/offline', contents: `export * from '@parley/client/offline';`, from: here });
    entries.push({ name: '@parley/client + /offline', contents: `export * from '@parley/client';\nexport * from '@parley/client/offline';`, from: here });
  } else {
    const note = '@parley/client/offline is absent (no ./offline export in @parley/client): not measured.';
    out.notes.push(note);
    log(`  ${note}`);
  }
  entries.push(
    { name: '@parley/client + @parley/react (react external)', contents: `export * from '@parley/client';\nexport * from '@parley/react';`, from: here, external: ['react'] },
    { name: '@parley/react alone (client and react external)', contents: `export * from '@parley/react';`, from: here, external: ['react', '@parley/client'] },
    { name: 'socket.io-client', contents: `export * from 'socket.io-client';`, from: here },
    { name: 'stream-chat (browser build)', contents: `export * from 'stream-chat';`, from: here },
  );
  const sizes = new Map<string, { min: number; gzip: number; brotli: number }>();
  for (const e of entries) sizes.set(e.name, await bundleSize(e.contents, e.from, e.external));
  const base = sizes.get('@parley/client')!.gzip;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  out.tables.push({
    title: 'Browser bundles (esbuild, platform browser, minified; gzip -9, brotli 11)',
    head: ['bundle', 'minified', 'min+gzip', 'min+brotli', 'gzip / @parley/client'],
    rows: entries.map((e) => {
      const s = sizes.get(e.name)!;
      return [e.name, kb(s.min), kb(s.gzip), kb(s.brotli), `${(s.gzip / base).toFixed(2)}x`];
    }),
  });
  const react = sizes.get('@parley/client + @parley/react (react external)')!;
  const stream = sizes.get('stream-chat (browser build)')!;
  out.targets.push(
    target({
      id: 'bundles.react',
      what: 'min+gzip, stream-chat / (@parley/client + @parley/react)',
      ratio: stream.gzip / react.gzip,
      goal: 1,
      goalText: 'no larger (>= 1x)',
      detail: `client + react bindings ${react.gzip} B, stream-chat ${stream.gzip} B (min+gzip)`,
    }),
  );
  out.durationMs = Date.now() - started;
  return out;
}

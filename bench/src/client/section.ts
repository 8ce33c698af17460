import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import { hasExports } from '../available.js';

/**
 * Minified, gzipped (-9) and brotli (quality 11) size of a browser bundle of `contents` (everything
 * bundled but `external`, ESM, browser platform).
 */
export async function bundleSize(contents: string, resolveDir: string, external: string[] = []): Promise<{ min: number; gzip: number; brotli: number }> {
  const result = await build({
    stdin: { contents, resolveDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    conditions: ['@parley/source'],
    logLevel: 'silent',
    external,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const code = result.outputFiles[0]!.contents;
  const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength;
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, brotli };
}

/** Client section: `@parley/client` beside `socket.io-client`, each bundled whole for the browser. */
export async function clientSection(): Promise<SectionResult> {
  const started = Date.now();
  const out = section('client', 'Client bundle');
  const dir = path.dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json'));
  const io = await bundleSize(`export * from 'socket.io-client';`, dir);
  const rows: Array<Array<string | number>> = [['socket.io-client (whole package)', io.min, io.gzip]];
  if (await hasExports('@parley/client', ['createClient'])) {
    const parley = await bundleSize(`export * from '@parley/client';`, process.cwd());
    rows.unshift(['@parley/client (whole package, incl. protocol schemas)', parley.min, parley.gzip]);
    out.targets.push(
      target({
        id: 'client.size',
        what: 'browser bundle min+gzip, socket.io-client / @parley/client',
        ratio: io.gzip / parley.gzip,
        goal: 1,
        goalText: 'no larger (>= 1x)',
        detail: `@parley/client ${parley.gzip} B, socket.io-client ${io.gzip} B (min+gzip)`,
      }),
    );
  } else {
    out.notes.push('@parley/client does not export createClient yet: only the baseline was measured.');
  }
  out.tables.push({ title: 'Browser bundle (esbuild, platform browser, minified, gzip -9), bytes', head: ['package', 'minified', 'min+gzip'], rows });
  out.durationMs = Date.now() - started;
  return out;
}

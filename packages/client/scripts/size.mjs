// Browser bundle size of @parley/client (esbuild, minified, gzip -9) next to socket.io-client's.
// Usage: node packages/client/scripts/size.mjs [--json]
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));

async function measure(name, contents, resolveDir) {
  const out = await build({
    stdin: { contents, resolveDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@parley/source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  // inputs that contribute bytes to the output (the metafile also lists files that were tree-shaken away)
  const used = Object.entries(Object.values(out.metafile.outputs)[0].inputs).filter(([, v]) => v.bytesInOutput > 0);
  const zod = used.filter(([p]) => p.includes('/zod/')).reduce((n, [, v]) => n + v.bytesInOutput, 0);
  // the client may import @parley/protocol only for types and from its zod-free `lite` entry
  if (used.some(([p]) => p.includes('protocol/src/') && !p.endsWith('protocol/src/lite.ts') && !p.endsWith('protocol/src/constants.ts'))) zodLeak = true;
  return { name, min: code.length, gzip: gzipSync(code, { level: 9 }).length, zod };
}

let zodLeak = false;
const rows = [
  await measure('@parley/client', "export * from './src/index.ts';", `${here}/..`),
  await measure('+ /offline', "export * from './src/index.ts'; export * from './src/offline/index.ts';", `${here}/..`),
  await measure('socket.io-client', "export { io } from 'socket.io-client';", `${here}/..`),
];
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else {
  for (const r of rows) {
    console.log(`${r.name.padEnd(18)} min ${String(r.min).padStart(7)} B   min+gzip ${String(r.gzip).padStart(6)} B${r.zod ? `   (contains ${r.zod} B of zod!)` : ''}`);
  }
}
if (zodLeak) console.error('@parley/client imports more of @parley/protocol than its zod-free lite entry at runtime');
if (rows[0].zod || zodLeak) process.exitCode = 1;

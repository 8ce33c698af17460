import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const entry = process.argv[2];
const out = await build({ stdin: { contents: `export * from '${entry}';`, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, conditions: ['@parley/source'], logLevel: 'silent', define: { 'process.env.NODE_ENV': '"production"' } });
const code = out.outputFiles[0].contents;
console.log(entry, code.length, gzipSync(code, { level: 9 }).length);

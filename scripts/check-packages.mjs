#!/usr/bin/env node
// Pack every publishable package and check it the way a consumer would see it:
// 1. publint (package.json and files) and @arethetypeswrong/cli (types for ESM, CJS and bundlers);
// 2. a consumer project in a scratch directory outside the workspace installs the tarballs (as
//    docs/getting-started.md tells users to do from a clone) and type-checks scripts/consumer/usage.ts
//    with our .d.ts files checked in full under NodeNext and Node16 as ESM and as CommonJS (`require`), and Bundler;
// 3. it loads every entry point with `import` and with `require`, and runs scripts/consumer/smoke.mjs:
//    a server and a client from the tarballs exchanging a message.
// Run after `npm run build` (each package's `prepack` builds through turbo, then a cache hit).
// Exits non-zero if anything fails. PARLEY_KEEP_SCRATCH=1 keeps the scratch project for a look.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { typecheck } from './lib/typecheck.mjs';
import { npmInstall, publicPackages, root, scratchDir, since, workspaceVersion } from './lib/workspace.mjs';

/** What the consumer installs beside the tarballs: the peers the usage file imports, and their types. */
const CONSUMER_DEPS = ['ws', 'pg', 'ioredis', 'mongodb', 'kysely', '@electric-sql/pglite', '@types/node', '@types/ws', '@types/pg', 'react', '@types/react'];
/** Entry points that need an optional peer at run time, so they are type-checked but not loaded. */
const NOT_LOADED = new Map([['@parley/core/testing', 'needs vitest and fast-check (optional peers)']]);

const started = performance.now();
const work = scratchDir('parley-consumer-');
process.on('exit', () => {
  if (process.env.PARLEY_KEEP_SCRATCH) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
const packs = join(work, 'packs');
mkdirSync(packs);
let failed = 0;
const fail = (what, detail) => {
  failed += 1;
  console.log(`FAIL  ${what}\n${detail}`);
};

// Packed the way docs/getting-started.md tells users to, from a clone.
let t0 = performance.now();
execFileSync('npm', ['run', '--silent', 'pack:packages', '--', packs], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const packed = publicPackages().map((p) => {
  const tarball = readdirSync(packs).find((f) => f === `${p.pkg.name.slice(1).replace('/', '-')}-${p.pkg.version}.tgz`);
  if (!tarball) throw new Error(`npm run pack:packages left no tarball for ${p.pkg.name}`);
  return { ...p, tarball: join(packs, tarball) };
});
console.log(`packed ${packed.length} packages (${since(t0)})`);

t0 = performance.now();
for (const { pkg, tarball } of packed) {
  for (const [name, args] of [
    ['publint', ['publint', '--strict', tarball]],
    // node10 resolution ignores `exports` by design; we support Node >= 20 and bundlers
    ['attw', ['attw', tarball, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync('npx', ['--no-install', ...args], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
      console.log(`ok    ${pkg.name} ${name}`);
    } catch (error) {
      fail(`${pkg.name} ${name}`, `${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
console.log(`publint and attw (${since(t0)})`);

// The consumer: a plain ESM project that installs the tarballs and the peers it uses.
t0 = performance.now();
const app = join(work, 'app');
try {
  npmInstall(app, [...packed.map((p) => p.tarball), ...CONSUMER_DEPS.map((d) => `${d}@${workspaceVersion(d)}`)]);
  console.log(`ok    consumer install from tarballs (${since(t0)})`);
} catch (error) {
  fail('consumer install from tarballs', `${error.stdout ?? ''}${error.stderr ?? ''}`);
}

const consumer = join(root, 'scripts/consumer');
mkdirSync(join(app, 'src'));
copyFileSync(join(consumer, 'usage.ts'), join(app, 'src/usage.ts'));
copyFileSync(join(consumer, 'usage.ts'), join(app, 'src/usage.cts'));
copyFileSync(join(consumer, 'smoke.mjs'), join(app, 'smoke.mjs'));
const strict = { strict: true, noEmit: true, types: ['node'], target: 'ES2022', lib: ['ES2023'] };
const projects = {
  // .ts is ESM (package.json "type": "module"), .cts is CommonJS: the require condition, index.d.cts
  'NodeNext (ESM import and CommonJS require)': { module: 'NodeNext', moduleResolution: 'NodeNext', files: ['src/usage.ts', 'src/usage.cts'] },
  'Node16 (ESM import and CommonJS require)': { module: 'Node16', moduleResolution: 'Node16', files: ['src/usage.ts', 'src/usage.cts'] },
  Bundler: { module: 'ESNext', moduleResolution: 'Bundler', files: ['src/usage.ts'] },
};
for (const [label, { files, ...options }] of Object.entries(projects)) {
  t0 = performance.now();
  const file = join(app, `tsconfig.${label.split(' ')[0].toLowerCase()}.json`);
  writeFileSync(file, JSON.stringify({ compilerOptions: { ...strict, ...options }, files }, null, 2));
  // our code: the usage files and every file of the installed @parley packages (their .d.ts)
  const errors = typecheck(file, (f) => f.includes('/node_modules/@parley/') || !f.includes('/node_modules/'));
  if (errors.length === 0) console.log(`ok    consumer types under ${label} (${since(t0)})`);
  else fail(`consumer types under ${label}`, errors.join('\n'));
}

// Every entry point loads both ways, from the installed tarballs.
t0 = performance.now();
const entries = packed.flatMap(({ pkg }) =>
  Object.keys(pkg.exports ?? { '.': null })
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`)),
);
const loaded = entries.filter((entry) => {
  if (NOT_LOADED.has(entry)) console.log(`skip  ${entry} load: ${NOT_LOADED.get(entry)}`);
  return !NOT_LOADED.has(entry);
});
// one process per module system, loading every entry point and naming the one that fails
for (const [how, type, load] of [
  ['import', 'module', (e) => `await import(${JSON.stringify(e)})`],
  ['require', 'commonjs', (e) => `require(${JSON.stringify(e)})`],
]) {
  const code = loaded.map((e) => `try { ${load(e)}; } catch (error) { console.error(${JSON.stringify(e)}, error); process.exitCode = 1; }`).join('\n');
  try {
    execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: app, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    fail(`entry points by ${how}`, `${error.stderr ?? ''}`);
  }
}
console.log(`loaded ${loaded.length} entry points by import and require (${since(t0)})`);

t0 = performance.now();
try {
  const out = execFileSync(process.execPath, ['smoke.mjs'], { cwd: app, stdio: 'pipe', encoding: 'utf8', timeout: 20_000 });
  console.log(`ok    ${out.trim()} (${since(t0)})`);
} catch (error) {
  fail('consumer smoke run', `${error.stdout ?? ''}${error.stderr ?? ''}`);
}

if (failed > 0) {
  console.error(`${failed} package check(s) failed (${since(started)})`);
  process.exit(1);
}
console.log(`all packages pass publint, attw and the consumer checks (${since(started)})`);

#!/usr/bin/env node
// Pack every publishable package and check it the way a consumer would see it:
// publint (package.json and files) and @arethetypeswrong/cli (types for ESM, CJS and bundlers).
// Needs `npm run build` first. Exits non-zero if any package has an error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const packagesDir = join(root, 'packages');
const out = mkdtempSync(join(tmpdir(), 'parley-pack-'));
let failed = 0;

for (const dir of readdirSync(packagesDir).sort()) {
  const pkgDir = join(packagesDir, dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: pkgDir, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  const file = join(out, tarball);
  for (const [name, args] of [
    ['publint', ['publint', '--strict', file]],
    // node10 resolution ignores `exports` by design; we support Node >= 20 and bundlers
    ['attw', ['attw', file, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync('npx', ['--no-install', ...args], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
      console.log(`ok    ${pkg.name} ${name}`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL  ${pkg.name} ${name}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
rmSync(out, { recursive: true, force: true });
if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
console.log('all packages pass publint and attw');

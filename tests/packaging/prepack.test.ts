/**
 * `npm pack` must never ship a package whose `exports` point at a missing or stale dist/: every
 * package's `prepack` runs scripts/prepack.mjs, which builds when needed and refuses otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without declarations
import { staleReason } from '../../scripts/prepack.mjs';

const root = new URL('../..', import.meta.url).pathname;
const prepack = join(root, 'scripts/prepack.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A package in a scratch directory whose `build` script runs `build` (a line of Node). */
function fakePackage(build: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-prepack-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/index.ts'), 'export {};\n');
  const pkg = {
    name: 'prepack-probe',
    version: '0.0.0',
    type: 'module',
    exports: { '.': { '@parley/source': './src/index.ts', default: './dist/index.js' } },
    files: ['dist'],
    scripts: { build: `node -e ${JSON.stringify(build)}`, prepack: `node ${JSON.stringify(prepack)}` },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  return dir;
}

const packedFiles = (dir: string): string[] => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
};

const writeDist = "require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/index.js','export {};')";

describe('prepack', () => {
  it('is the prepack script of every public package', () => {
    for (const name of readdirSync(join(root, 'packages'))) {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { private?: boolean; scripts?: Record<string, string> };
      if (pkg.private) continue;
      expect(pkg.scripts?.prepack, name).toBe('node ../../scripts/prepack.mjs');
    }
  });

  it('builds a package packed before its build, so dist/ is in the tarball', () => {
    const dir = fakePackage(writeDist);
    expect(staleReason(dir)).toBe('dist/index.js is missing');
    expect(packedFiles(dir)).toEqual(['dist/index.js', 'package.json']);
  });

  it('rebuilds when a source file is newer than dist/, and does nothing when dist/ is current', () => {
    const dir = fakePackage(writeDist);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir });
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'package.json'), old, old);
    utimesSync(join(dir, 'dist/index.js'), old, old);
    expect(staleReason(dir)).toBe('src/index.ts is newer than the build');
    utimesSync(join(dir, 'src/index.ts'), new Date(old.getTime() - 1000), new Date(old.getTime() - 1000));
    expect(staleReason(dir)).toBeNull();
  });

  it('refuses to pack when the build leaves a target missing', () => {
    const dir = fakePackage('0');
    expect(() => packedFiles(dir)).toThrow(/refusing to pack, dist\/index.js is missing/);
  });
});

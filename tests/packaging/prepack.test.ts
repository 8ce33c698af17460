/**
 * `npm pack` must never ship a package whose `exports` point at a missing or stale dist/: every
 * package's `prepack` runs scripts/prepack.mjs, which builds first and refuses if a target is missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without declarations
import { missingTargets } from '../../scripts/prepack.mjs';

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

const writeDist = (text: string) => `require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/index.js',${JSON.stringify(text)})`;

describe('prepack', () => {
  it('is the prepack script of every public package', () => {
    for (const name of readdirSync(join(root, 'packages'))) {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { private?: boolean; scripts?: Record<string, string> };
      if (pkg.private) continue;
      expect(pkg.scripts?.prepack, name).toBe('node ../../scripts/prepack.mjs');
    }
  });

  it('builds a package packed before its build, so dist/ is in the tarball', () => {
    const dir = fakePackage(writeDist('export {};'));
    expect(missingTargets(dir)).toEqual(['dist/index.js']);
    expect(packedFiles(dir)).toEqual(['dist/index.js', 'package.json']);
  });

  it('rebuilds a stale dist/ before packing', () => {
    const dir = fakePackage(writeDist('export const version = 2;'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist/index.js'), 'export const version = 1;');
    expect(missingTargets(dir)).toEqual([]);
    packedFiles(dir);
    expect(readFileSync(join(dir, 'dist/index.js'), 'utf8')).toBe('export const version = 2;');
  });

  it('refuses to pack when the build leaves a target missing', () => {
    const dir = fakePackage('0');
    expect(() => packedFiles(dir)).toThrow(/refusing to pack prepack-probe: dist\/index.js missing after the build/);
  });
});

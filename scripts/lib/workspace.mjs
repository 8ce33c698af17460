// Shared by the package and docs checks: the repository's public packages, packing them, and a
// consumer project outside the workspace that installs the packed tarballs like a user would.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

/** Every package under packages/ that is not private, sorted by directory name. */
export function publicPackages() {
  const dir = join(root, 'packages');
  return readdirSync(dir)
    .sort()
    .map((name) => ({ dir: join(dir, name), pkg: JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private);
}

/** `npm pack` each package into `out`; returns the packages with their tarball paths. */
export function packAll(out) {
  return publicPackages().map((p) => {
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: p.dir, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    return { ...p, tarball: join(out, name) };
  });
}

/** The version of a dependency installed in the workspace, so a consumer install is served from npm's cache. */
export function workspaceVersion(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** A fresh directory outside the workspace. */
export function scratchDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Install `specs` (tarball paths or name@version) into `dir` with a package.json of `type`.
 * Served from npm's cache (`--prefer-offline`); scripts are not run, nothing is audited.
 */
export function npmInstall(dir, specs, type = 'module') {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }, null, 2));
  }
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
}

/** Milliseconds since `t0`, rounded, for the step timings the checks print. */
export const since = (t0) => `${Math.round(performance.now() - t0)} ms`;

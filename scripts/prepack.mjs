#!/usr/bin/env node
// Every package's `prepack`: `npm pack` and `npm publish` of a package whose dist/ is missing or older
// than its sources would ship `exports` that point at nothing (or at yesterday's code). So before
// packing, build the package when its dist/ is stale, and refuse to pack if the build still leaves
// a target missing. Nothing is done when dist/ is up to date (CI builds first, then packs).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Every file the package.json points at: `exports` targets (but the source condition), main, module, types, bin. */
export function targetsOf(pkg) {
  const out = new Set();
  const walk = (value, condition) => {
    if (typeof value === 'string') {
      if (condition !== '@parley/source' && !value.includes('*')) out.add(value);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, key);
    }
  };
  walk(pkg.exports);
  for (const field of ['main', 'module', 'types']) if (typeof pkg[field] === 'string') out.add(pkg[field]);
  walk(typeof pkg.bin === 'string' ? { bin: pkg.bin } : pkg.bin);
  return [...out].map((p) => p.replace(/^\.\//, '')).filter((p) => p !== 'package.json');
}

const newest = (dir) => {
  let best = { path: '', mtimeMs: 0 };
  if (!existsSync(dir)) return best;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const { mtimeMs } = statSync(path);
    if (mtimeMs > best.mtimeMs) best = { path, mtimeMs };
  }
  return best;
};

/**
 * Why the package in `dir` needs a build before packing, or null when its dist/ is complete and newer
 * than src/, the build config and package.json.
 */
export function staleReason(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const targets = targetsOf(pkg);
  const missing = targets.find((t) => !existsSync(join(dir, t)));
  if (missing) return `${missing} is missing`;
  const oldest = Math.min(...targets.map((t) => statSync(join(dir, t)).mtimeMs));
  const inputs = [newest(join(dir, 'src')), ...['package.json', 'tsup.config.ts'].filter((f) => existsSync(join(dir, f))).map((f) => ({ path: join(dir, f), mtimeMs: statSync(join(dir, f)).mtimeMs }))];
  const newer = inputs.find((i) => i.mtimeMs > oldest);
  return newer ? `${relative(dir, newer.path)} is newer than the build` : null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.cwd();
  const before = staleReason(dir);
  if (before !== null) {
    console.error(`prepack: ${before}; building`);
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    const after = staleReason(dir);
    if (after !== null) {
      console.error(`prepack: refusing to pack, ${after} after the build`);
      process.exit(1);
    }
  }
}

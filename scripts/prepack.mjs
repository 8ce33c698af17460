#!/usr/bin/env node
// Every package's `prepack`: `npm pack` and `npm publish` of a package whose dist/ is missing or
// stale would ship `exports` that point at nothing (or at older code). So build it first — through
// turbo inside this repository, whose content hashes make an up-to-date build a cache hit that
// costs a fraction of a second (modification times cannot tell: a cache hit leaves dist/ untouched)
// — and refuse to pack if a file the package.json names is still missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;

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

/** The targets of the package in `dir` that do not exist. */
export function missingTargets(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return targetsOf(pkg).filter((t) => !existsSync(join(dir, t)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.cwd();
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const inRepo = !relative(join(root, 'packages'), dir).startsWith('..') && existsSync(join(root, 'turbo.json'));
  const [cmd, args] = inRepo
    ? ['npx', ['--no-install', 'turbo', 'run', 'build', `--filter=${name}`, '--output-logs=errors-only']]
    : ['npm', ['run', 'build']];
  execFileSync(cmd, args, { cwd: inRepo ? root : dir, stdio: ['ignore', 'ignore', 'inherit'], env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env } });
  const missing = missingTargets(dir);
  if (missing.length > 0) {
    console.error(`prepack: refusing to pack ${name}: ${missing.join(', ')} missing after the build`);
    process.exit(1);
  }
}

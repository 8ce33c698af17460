#!/usr/bin/env node
// `npm run pack:packages -- <dir>`: one tarball per public package into <dir> (created if needed),
// for using Parley from a clone before the packages are on the registry (docs/getting-started.md).
// Each package's prepack builds it first (through turbo: a cache hit when it is up to date).
import { mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packAll } from './lib/workspace.mjs';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dest = process.argv[2];
  if (!dest) {
    console.error('usage: npm run pack:packages -- <directory>');
    process.exit(2);
  }
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), dest);
  mkdirSync(dir, { recursive: true });
  for (const { pkg, tarball } of packAll(dir)) console.log(`${pkg.name.padEnd(26)} ${basename(tarball)}`);
  console.log(`packed into ${dir}`);
}

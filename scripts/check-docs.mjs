#!/usr/bin/env node
// Type-check every ```ts and ```tsx block of README.md and docs/*.md against the built packages, so
// the docs cannot drift from the API. Each block is its own module, compiled under NodeNext (how a
// Node app resolves the packages: `exports` to dist/*.d.ts, no source condition) together with
// scripts/docs-prelude.d.ts, which declares the host application's names the samples use
// (`myExistingApp`, `mySessions`, `fetchToken`, …) and the `chat`, `client`, `db` a guide built in
// an earlier block. A relative import in a sample (a file of the reader's own project) resolves to
// the prelude's `host:<specifier>` module.
//
// A block that is deliberately a fragment (an object property, a line of a longer file) opts out with
// a marker on the line before its fence:  <!-- docs-check: skip <why> -->
// Needs `npm run build` first. Prints how many blocks it checked and which it skipped, and why.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { typecheck } from './lib/typecheck.mjs';
import { root, since } from './lib/workspace.mjs';

const started = performance.now();
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const SKIP = /^<!--\s*docs-check:\s*skip\s+(.+?)\s*-->$/;

/** Every ts/tsx fence of a markdown file: its language, first code line (1-based) and text, and any skip marker. */
function blocksOf(doc) {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx|typescript)\s*$/.exec(lines[i]);
    if (!open) {
      if (/^```/.test(lines[i])) while (++i < lines.length && !/^```\s*$/.test(lines[i]));
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const skip = SKIP.exec((lines[i - 1] ?? '').trim())?.[1];
    blocks.push({ doc, line: start + 1, lang: open[1] === 'tsx' ? 'tsx' : 'ts', code: lines.slice(start, end).join('\n'), skip });
    i = end;
  }
  return blocks;
}

const blocks = docs.flatMap(blocksOf);
// Inside the workspace, so `@parley/*` resolve through the workspace's node_modules to the built packages.
const dir = join(root, 'node_modules/.cache/parley-docs-check');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
const files = new Map();
for (const block of blocks.filter((b) => !b.skip)) {
  const name = `${block.doc.replace(/[/.]/g, '-')}-${block.line}.${block.lang}`;
  files.set(name, block);
  // a file of the reader's own project: declared in the prelude as `host:<specifier>`
  const code = block.code.replace(/(from\s+|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g, '$1$2host:$3$2');
  writeFileSync(join(dir, name), `${code}\n`);
}
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      moduleDetection: 'force',
      jsx: 'preserve',
      strict: true,
      noEmit: true,
      types: ['node'],
    },
    files: [join(root, 'scripts/docs-prelude.d.ts'), ...files.keys()],
  }),
);

const errors = typecheck(join(dir, 'tsconfig.json'), (f) => f.startsWith(dir) || f.endsWith('/scripts/docs-prelude.d.ts'));
// Point each diagnostic at the markdown line it came from.
const located = errors.map((e) => {
  const m = /^(?:.*\/)?([^/(]+)\((\d+),(\d+)\): (.*)$/s.exec(e);
  const block = m && files.get(m[1]);
  return block ? `${block.doc}:${block.line + Number(m[2]) - 1}:${m[3]} ${m[4]}` : e;
});

const skipped = blocks.filter((b) => b.skip);
console.log(`docs-check: ${files.size} code blocks type-checked in ${docs.length} files, ${skipped.length} skipped (${since(started)})`);
for (const b of skipped) console.log(`  skipped ${b.doc}:${b.line}: ${b.skip}`);
if (located.length > 0) {
  console.log(located.join('\n'));
  console.error(`docs-check: ${located.length} error(s) in the docs' code samples`);
  process.exit(1);
}
console.log(`docs-check: every sample compiles against the built packages (checked from ${relative(root, dir)})`);

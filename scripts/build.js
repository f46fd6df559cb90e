#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ to dist/ with SWC (about a second); type checking
// is `npm run typecheck` (tsc 5.9), kept off the start path. See docs/decisions.md.
const fs = require('node:fs');
const path = require('node:path');
const { transformFileSync } = require('@swc/core');
const { swcOptions, root } = require('./swc-options');

const sources = ['apps', 'libs', 'bench'];
const outDir = path.join(root, 'dist');

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts')) yield full;
  }
}

let count = 0;
for (const source of sources) {
  const dir = path.join(root, source);
  if (!fs.existsSync(dir)) continue;
  for (const file of walk(dir)) {
    const out = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    const { code } = transformFileSync(file, { ...swcOptions(), filename: file, outputPath: out });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, code);
    count++;
  }
}
console.error(`built ${count} files into dist/`);

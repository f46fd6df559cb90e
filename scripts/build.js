#!/usr/bin/env node
// Compiles apps/, libs/, bench/ and test/support/ to dist/ with SWC (about a second); type checking
// is `npm run typecheck` (tsc 5.9), kept off the start path. See docs/decisions.md.
// The operator console (apps/console, a browser app) is built by Vite instead
// (scripts/build-console.mjs), only when its sources are newer than the last build.
const fs = require('node:fs');
const path = require('node:path');
const { transformFileSync } = require('@swc/core');
const { swcOptions, root } = require('./swc-options');

// test/support too: the benches start the same real Postgres and HAProxy the tests do.
const sources = ['apps', 'libs', 'bench', path.join('test', 'support')];
const outDir = path.join(root, 'dist');

const consoleSource = path.join(root, 'apps', 'console');
const consoleOut = path.join(outDir, 'console');

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === consoleSource) continue;
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

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const consoleBuilt = path.join(consoleOut, 'build-info.json');
const consoleInputs = Math.max(newestMtime(consoleSource), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs, fs.statSync(path.join(root, 'scripts', 'build-console.mjs')).mtimeMs);
if (!fs.existsSync(consoleBuilt) || fs.statSync(consoleBuilt).mtimeMs < consoleInputs) {
  require('node:child_process').execFileSync(process.execPath, [path.join(root, 'scripts', 'build-console.mjs')], { stdio: 'inherit' });
}

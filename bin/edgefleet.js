#!/usr/bin/env node
// `edgefleet`, the operator CLI. The code is TypeScript compiled to dist/ by scripts/build.js
// (about a second); a checkout that has not been built yet, or whose CLI sources are newer
// than the build, is built first, so `npm install && npx edgefleet --help` works on a fresh clone.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const main = path.join(root, 'dist', 'apps', 'edgefleet', 'src', 'main.js');
const sources = ['apps/edgefleet', 'libs/cli', 'libs/api-client', 'libs/contracts'].map((dir) => path.join(root, dir));

function newestSource(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function stale() {
  if (!fs.existsSync(main)) return true;
  const built = fs.statSync(main).mtimeMs;
  return sources.some((dir) => newestSource(dir) > built);
}

/** One build at a time: a second `edgefleet` started meanwhile waits for the first one's. */
function build() {
  const lock = path.join(root, 'dist', '.edgefleet-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`${lock} is held for over 2 minutes; remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      if (!stale()) return;
    }
  }
  try {
    if (stale()) execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    fs.rmdirSync(lock);
  }
}

if (stale()) build();
require(main);

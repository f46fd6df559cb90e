#!/usr/bin/env node
// `prisma generate` works offline, but the CLI looks for a native schema engine first;
// it never runs it for generate, so any existing path satisfies it (docs/decisions.md).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--no-hints'], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);

// Builds the operator console (apps/console) with Vite into dist/console and writes a .gz
// and a .br beside each text file, which the server sends to browsers that accept them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'console');

await build({
  configFile: false,
  root: path.join(root, 'apps', 'console'),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { '@edgefleet/api-client': path.join(root, 'libs', 'api-client', 'src', 'index.ts') } },
  build: { outDir, emptyOutDir: true, assetsDir: 'assets', target: 'es2022', sourcemap: false, reportCompressedSize: false },
});

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else yield full;
  }
}

let gzipped = 0;
for (const file of [...files(outDir)]) {
  if (!/\.(js|css|html|svg|json|txt)$/.test(file)) continue;
  const bytes = readFileSync(file);
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(`${file}.gz`, gz);
  writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  if (file.endsWith('.js')) gzipped += gz.length;
}
writeFileSync(path.join(outDir, 'build-info.json'), JSON.stringify({ jsGzipBytes: gzipped, builtAt: new Date().toISOString() }));
console.error(`built the console into dist/console (JavaScript ${(gzipped / 1024).toFixed(1)} KiB gzipped)`);


#!/usr/bin/env node
// Builds libs/device-sdk as a standalone npm package in dist/device-sdk (or `--out <dir>`):
// CommonJS JavaScript and .d.ts typings, with libs/contracts vendored in `contracts/` so the
// package depends on `mqtt` alone. Pack it with `npm pack dist/device-sdk`.
//
// tsc emits the JavaScript too, not SWC: Node's ESM loader finds the named exports of a
// CommonJS file by reading its source (cjs-module-lexer), which recognises tsc's
// `__exportStar(require(...), exports)` but not SWC's helper, so with SWC output
// `import { DeviceClient } from '@edgefleet/device-sdk'` would fail in an ES module.
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const sdkDir = path.join(root, 'libs/device-sdk');
const contractsDir = path.join(root, 'libs/contracts/src');
const PACKAGE_NAME = '@edgefleet/device-sdk';
const CONTRACTS_SPECIFIER = '@edgefleet/contracts';

function parseArgs(argv) {
  const outIndex = argv.indexOf('--out');
  if (outIndex !== -1 && !argv[outIndex + 1]) throw new Error('--out needs a directory');
  return { outDir: path.resolve(outIndex === -1 ? path.join(root, 'dist/device-sdk') : argv[outIndex + 1]) };
}

function sources(dir) {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  const folder = entries.find((entry) => entry.isDirectory());
  if (folder) throw new Error(`${path.relative(root, path.join(dir, folder.name))}: scripts/build-sdk.js expects a flat src folder; teach it subfolders first`);
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')).map((entry) => entry.name);
}

const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);

/**
 * The package must not reach into the monorepo: the SDK may import node built-ins, `mqtt`
 * and the contracts lib; the contracts lib only node built-ins. Both are flat folders, so a
 * relative import is always a sibling file. Returns the source with the contracts import
 * pointed at the vendored copy.
 */
function rewriteImports(file, text, { allowed, contractsPath, rule }) {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  let out = '';
  let last = 0;
  for (const { fileName: specifier, pos } of importedFiles) {
    if (specifier.startsWith('./')) {
      if (specifier.slice(2).includes('/')) throw new Error(`${file}: import of '${specifier}' leaves the lib's folder`);
      continue;
    }
    if (isBuiltin(specifier) || allowed.includes(specifier)) continue;
    if (specifier === CONTRACTS_SPECIFIER && contractsPath) {
      // `pos` is at the opening quote in TypeScript 5.9; found by search so that does not matter.
      const start = text.indexOf(specifier, pos);
      if (start < 0 || start - pos > 1) throw new Error(`${file}: could not locate the import of '${specifier}'`);
      out += text.slice(last, start) + contractsPath;
      last = start + specifier.length;
      continue;
    }
    throw new Error(`${file}: imports '${specifier}'; ${rule}`);
  }
  return out + text.slice(last);
}

function stageSources(stageDir) {
  fs.mkdirSync(path.join(stageDir, 'contracts'));
  for (const name of sources(path.join(sdkDir, 'src'))) {
    const file = path.join(sdkDir, 'src', name);
    const text = rewriteImports(path.relative(root, file), fs.readFileSync(file, 'utf8'), {
      allowed: ['mqtt'],
      contractsPath: './contracts',
      rule: `the device SDK may only import node built-ins, mqtt and ${CONTRACTS_SPECIFIER}`,
    });
    fs.writeFileSync(path.join(stageDir, name), text);
  }
  for (const name of sources(contractsDir)) {
    const file = path.join(contractsDir, name);
    const text = rewriteImports(path.relative(root, file), fs.readFileSync(file, 'utf8'), {
      allowed: [],
      rule: 'the contracts lib, vendored in the device SDK package, may only import node built-ins',
    });
    fs.writeFileSync(path.join(stageDir, 'contracts', name), text);
  }
}

function compile(stageDir, outDir) {
  const options = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    useDefineForClassFields: false,
    noImplicitOverride: true,
    declaration: true,
    rootDir: stageDir,
    outDir,
    newLine: ts.NewLineKind.LineFeed,
  };
  const rootNames = fs.readdirSync(stageDir, { recursive: true }).filter((name) => name.endsWith('.ts')).map((name) => path.join(stageDir, name));
  const program = ts.createProgram({ rootNames, options });
  const fail = (diagnostics) => {
    if (diagnostics.length === 0) return;
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(`type errors in the device SDK package:\n${ts.formatDiagnostics(diagnostics, host)}`);
  };
  fail(ts.getPreEmitDiagnostics(program));
  fail(program.emit().diagnostics);
}

function packageJson() {
  const manifest = JSON.parse(fs.readFileSync(path.join(sdkDir, 'package.json'), 'utf8'));
  const rootManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
    if (rootManifest.dependencies?.[name] !== version) {
      throw new Error(`libs/device-sdk/package.json pins ${name}@${version} but the root package.json has ${rootManifest.dependencies?.[name]}: the SDK is tested against the root's`);
    }
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Only a directory that is empty or an earlier build of this package is cleared. */
function clearOutDir(outDir) {
  if (!fs.existsSync(outDir)) return;
  const previous = path.join(outDir, 'package.json');
  const isOurs = fs.existsSync(previous) && JSON.parse(fs.readFileSync(previous, 'utf8')).name === PACKAGE_NAME;
  if (!isOurs && fs.readdirSync(outDir).length > 0) throw new Error(`${outDir} is not empty and is not a build of ${PACKAGE_NAME}; not clearing it`);
  fs.rmSync(outDir, { recursive: true, force: true });
}

function main() {
  const { outDir } = parseArgs(process.argv.slice(2));
  const manifest = packageJson();
  // Staged inside the repo so the compiler finds node_modules (@types/node, mqtt's typings).
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  const stageDir = fs.mkdtempSync(path.join(root, 'dist', '.device-sdk-stage-'));
  try {
    stageSources(stageDir);
    clearOutDir(outDir);
    // Written first, so a build that fails half-way still leaves a folder clearOutDir recognises.
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'package.json'), manifest);
    compile(stageDir, outDir);
  } finally {
    fs.rmSync(stageDir, { recursive: true, force: true });
  }
  fs.copyFileSync(path.join(sdkDir, 'README.md'), path.join(outDir, 'README.md'));
  console.error(`built ${PACKAGE_NAME} into ${path.relative(process.cwd(), outDir) || '.'}`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

// Jest runs CommonJS; NestJS 12, aedes 1.x and a few of their dependencies ship only
// ESM. Node 20.20 require()s ESM natively, but Jest's module loader does not, so ESM
// files (ours and node_modules') are compiled to CommonJS with SWC and the rest pass through.
const { createTransformer } = require('@swc/jest');
const { swcOptions } = require('./swc-options');

const swc = createTransformer({ ...swcOptions(), sourceMaps: 'inline' });
const esmSyntax = /^\s*(import\s*[\w*{'"]|export\s)/m;

module.exports = {
  canInstrument: false,
  getCacheKey: (source, file, options) => swc.getCacheKey(source, file, options) + (esmSyntax.test(source) ? 'esm' : 'cjs'),
  process(source, file, options) {
    const isOurs = file.endsWith('.ts');
    if (!isOurs && !file.endsWith('.mjs') && !esmSyntax.test(source)) return { code: source };
    // An ESM file that defines its own __dirname/__filename would redeclare the CommonJS
    // wrapper's parameters; CommonJS already provides the same values, so drop the definition.
    const code = isOurs ? source : source.replace(/\b(const|let|var)\s+(__dirname|__filename)\s*=/g, '$1 __esm$2 =');
    return swc.process(code, isOurs ? file : file.replace(/\.mjs$/, '.js'), options);
  },
};
